#ifndef TANDEM_TESTS_SUPPORT_TEST_TIMING_H_
#define TANDEM_TESTS_SUPPORT_TEST_TIMING_H_

#include "absl/time/time.h"

namespace tandem::testing {

// Code built with AddressSanitizer runs several times slower. A deadline a test allows for an answer scales
// with it, so the sanitizer run checks the same behaviour without turning a slower build into a failure.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr int kBuildSlowdown = 4;
#else
inline constexpr int kBuildSlowdown = 1;
#endif

inline absl::Duration ScaledForBuild(absl::Duration deadline) { return deadline * kBuildSlowdown; }

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_SUPPORT_TEST_TIMING_H_
