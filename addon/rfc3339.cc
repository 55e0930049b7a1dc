#include "rfc3339.h"

namespace hutch {

namespace {

void put_digits(char* out, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; i--) {
    out[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

}  // namespace

void format_rfc3339(int64_t sec, long nsec, char out[30]) {
  // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil
  // inverse; eras of 400 years, March-based years).
  int64_t days = sec / 86400, rem = sec % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  put_digits(out, static_cast<uint64_t>(year), 4);
  out[4] = '-';
  put_digits(out + 5, static_cast<uint64_t>(month), 2);
  out[7] = '-';
  put_digits(out + 8, static_cast<uint64_t>(day), 2);
  out[10] = 'T';
  put_digits(out + 11, static_cast<uint64_t>(rem / 3600), 2);
  out[13] = ':';
  put_digits(out + 14, static_cast<uint64_t>(rem / 60 % 60), 2);
  out[16] = ':';
  put_digits(out + 17, static_cast<uint64_t>(rem % 60), 2);
  out[19] = '.';
  put_digits(out + 20, static_cast<uint64_t>(nsec), 9);
  out[29] = 'Z';
}

}  // namespace hutch
