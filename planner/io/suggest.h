// "Did you mean" suggestions for misspelt keys, flags, presets and enum values.
#ifndef PLANNER_IO_SUGGEST_H_
#define PLANNER_IO_SUGGEST_H_

#include <string>
#include <vector>

namespace planner {

// The closest candidate within a small edit distance, or "" when none is close.
std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "".
std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates);
// The same for a suggestion already chosen: " (did you mean 'match'?)", or "" for "".
std::string DidYouMeanText(const std::string& match);

// "'a', 'b' or 'c'"
std::string JoinChoices(const std::vector<std::string>& choices);

}  // namespace planner

#endif  // PLANNER_IO_SUGGEST_H_
