// "Did you mean": the known word closest to a mistyped one (a key of routes.json, a command-line
// option, a runtime name), so that an error can name what the user most likely meant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wsgw {

// The candidate nearest to `word` by edit distance (insertions, deletions, substitutions and
// swaps of neighbours, letters compared without case), when it is near enough to be a typo: at
// most 1 edit for words up to 4 letters, 2 up to 8, else 3. Empty when none is, or when `word`
// is itself a candidate.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean \"X\"?)" for ClosestMatch's answer, or "" when there is none.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace wsgw
