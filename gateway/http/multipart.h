// multipart/form-data, parsed incrementally: the server feeds body chunks as they arrive (split
// anywhere, even inside a boundary or a header line) and the parser emits part events to a sink.
// FormCollector is the sink the server uses: text fields in memory (bounded), file parts streamed
// into temporary files (bounded), so an upload never sits in memory and never exceeds its limit on
// disk. Pure (no sockets); unit-tested with arbitrary splits.
//
// Ownership: the parser borrows its sink, which must outlive it. FormCollector owns the Form it
// builds (and so its temporary files) until take() hands it over.
// Threading: single-threaded; one parser per request.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "gateway/http/request.h"

namespace gw::http {

struct PartHeaders {
  std::string name;                     // Content-Disposition name=
  std::optional<std::string> filename;  // present for file parts (sanitised to a base name)
  std::string content_type;             // "text/plain" when absent
};

class MultipartSink {
 public:
  virtual ~MultipartSink() = default;
  virtual core::Status on_part_begin(const PartHeaders& headers) = 0;
  virtual core::Status on_part_data(std::string_view data) = 0;
  virtual core::Status on_part_end() = 0;
};

struct MultipartLimits {
  size_t max_parts = 64;
  size_t max_header_bytes = 8 * 1024;             // one part's header block
  size_t max_field_bytes = 1024 * 1024;           // one text field (FormCollector)
  size_t max_fields_total = 4 * 1024 * 1024;      // all text fields together (FormCollector)
  uint64_t max_file_bytes = 25ull * 1024 * 1024;  // one file part (FormCollector)
};

// The boundary parameter of a multipart/form-data Content-Type; InvalidArgument when the type is
// not multipart/form-data or the boundary is missing or longer than 70 characters (RFC 2046).
core::Result<std::string> multipart_boundary(std::string_view content_type);
bool is_multipart_form(std::string_view content_type);

class MultipartParser {
 public:
  MultipartParser(std::string boundary, MultipartSink& sink, MultipartLimits limits = {});

  // Consumes a chunk. After an error the parser stays failed and returns the same error.
  core::Status feed(std::string_view chunk);
  // The body ended: InvalidArgument unless the closing boundary was seen.
  core::Status finish();
  bool complete() const { return state_ == State::kEpilogue; }

 private:
  enum class State { kPreamble, kAfterBoundary, kHeaders, kBody, kEpilogue, kFailed };
  core::Status fail(core::Status status);
  core::Status step(bool& progressed);
  core::Status parse_headers(std::string_view block);

  std::string delimiter_;  // "\r\n--" + boundary
  MultipartSink& sink_;
  MultipartLimits limits_;
  State state_ = State::kPreamble;
  std::string buf_;
  size_t parts_ = 0;
  core::Status error_;
};

// Builds a Form: fields in memory, files in `temp_dir` (created if missing) as
// "upload-<random>.part" with mode 0600.
class FormCollector final : public MultipartSink {
 public:
  FormCollector(std::filesystem::path temp_dir, MultipartLimits limits = {});
  ~FormCollector() override;

  core::Status on_part_begin(const PartHeaders& headers) override;
  core::Status on_part_data(std::string_view data) override;
  core::Status on_part_end() override;

  std::shared_ptr<Form> take() { return std::move(form_); }

 private:
  void close_file();

  std::filesystem::path temp_dir_;
  MultipartLimits limits_;
  std::shared_ptr<Form> form_;
  size_t fields_total_ = 0;
  bool in_file_ = false;
  int fd_ = -1;
};

}  // namespace gw::http
