import test from 'ava';
import { parseOsRelease } from '../../../src/host/distro.js';

test('Ubuntu is in the debian family through ID_LIKE', (t) => {
  const d = parseOsRelease('NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 24.04.1 LTS"\n');
  t.deepEqual(d, { id: 'ubuntu', idLike: ['debian'], versionId: '24.04', prettyName: 'Ubuntu 24.04.1 LTS', family: 'debian' });
});

test('Rocky Linux maps to the fedora family via "rhel centos fedora"', (t) => {
  const d = parseOsRelease('ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n');
  t.is(d.family, 'fedora');
  t.deepEqual(d.idLike, ['rhel', 'centos', 'fedora']);
});

test('Arch has no VERSION_ID; Manjaro is arch-like', (t) => {
  t.like(parseOsRelease('NAME="Arch Linux"\nID=arch\n'), { family: 'arch', versionId: '', prettyName: 'Arch Linux' });
  t.is(parseOsRelease('ID=manjaro\nID_LIKE=arch\n').family, 'arch');
});

test('unknown distributions and empty files', (t) => {
  t.is(parseOsRelease('ID=alpine\n').family, 'unknown');
  t.like(parseOsRelease(''), { id: 'linux', family: 'unknown' });
});

test('single quotes and escaped characters are unquoted', (t) => {
  t.is(parseOsRelease("PRETTY_NAME='My \\\"Distro\\\"'\n").prettyName, 'My "Distro"');
});
