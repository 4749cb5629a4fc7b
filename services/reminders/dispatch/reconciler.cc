#include "services/reminders/dispatch/reconciler.h"

#include "common/status/status_macros.h"

namespace tandem::reminders {

absl::StatusOr<int> Reconciler::Reconcile(absl::Time now) {
  int total = 0;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(auto page, store_.Indexable(now, after, page_size_));
    if (page.empty()) break;
    RETURN_IF_ERROR(index_.Add(page));
    total += static_cast<int>(page.size());
    if (static_cast<int>(page.size()) < page_size_) break;
    after = page.back().first;
  }
  return total;
}

}  // namespace tandem::reminders
