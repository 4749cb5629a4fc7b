#include "services/reminders/dispatch/reminders_metrics.h"

namespace tandem::reminders {

RemindersMetrics& RemindersMetrics::Get() {
  static RemindersMetrics* const metrics = [] {
    auto& registry = metrics::Registry::Default();
    // Lag spans sub-second sends to hours of backoff.
    std::vector<double> lag_bounds = {0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 14400};
    return new RemindersMetrics{
        registry.AddGauge("tandem_reminders_queue_depth", "Reminder ids in the due index, by where they wait",
                          {"where"}),
        registry.AddHistogram("tandem_reminders_lag_seconds",
                              "Time from a reminder's due time to its delivery", {"channel"}, lag_bounds),
        registry.AddCounter("tandem_reminders_attempts_total", "Delivery attempts by channel and result",
                            {"channel", "result"}),
        registry.AddCounter("tandem_reminders_failures_total", "Failed delivery attempts by channel",
                            {"channel"}),
        registry.AddCounter("tandem_reminders_dead_letters_total", "Reminders given up, by reason",
                            {"reason"}),
        registry.AddCounter("tandem_reminders_scheduled_total", "Reminders scheduled, by channel",
                            {"channel"}),
        registry.AddCounter("tandem_reminders_index_errors_total",
                            "Redis due-index operations that failed, by operation", {"operation"}),
    };
  }();
  return *metrics;
}

}  // namespace tandem::reminders
