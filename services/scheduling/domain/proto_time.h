#ifndef TANDEM_SERVICES_SCHEDULING_DOMAIN_PROTO_TIME_H_
#define TANDEM_SERVICES_SCHEDULING_DOMAIN_PROTO_TIME_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"

namespace tandem::scheduling {

// Instants between absl and the API's Timestamps, at the microsecond precision the stores keep.
inline google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}
inline absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(t));
}

}  // namespace tandem::scheduling

#endif  // TANDEM_SERVICES_SCHEDULING_DOMAIN_PROTO_TIME_H_
