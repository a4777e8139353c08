#include "planner/core/count.h"

#include <algorithm>

namespace planner {

std::string CountToString(Count c, bool group_thousands) {
  const bool negative = c < 0;
  unsigned __int128 u = negative ? static_cast<unsigned __int128>(-(c + 1)) + 1
                                 : static_cast<unsigned __int128>(c);
  std::string digits;
  int n = 0;
  do {
    if (group_thousands && n > 0 && n % 3 == 0) digits.push_back(',');
    digits.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
    ++n;
  } while (u != 0);
  if (negative) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

}  // namespace planner
