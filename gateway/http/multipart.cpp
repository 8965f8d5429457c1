#include "gateway/http/multipart.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/encoding.h"
#include "core/random.h"

namespace gw::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses `; key=value; key="quoted"` parameters (after the first ';'-separated token).
std::vector<std::pair<std::string, std::string>> header_params(std::string_view v) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = v.find(';');
  if (i == std::string_view::npos) return out;
  ++i;
  while (i < v.size()) {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == ';')) ++i;
    size_t eq = v.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key = to_lower(trim(v.substr(i, eq - i)));
    i = eq + 1;
    std::string value;
    if (i < v.size() && v[i] == '"') {
      ++i;
      while (i < v.size() && v[i] != '"') {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        value.push_back(v[i++]);
      }
      ++i;  // closing quote
      size_t semi = v.find(';', i);
      i = semi == std::string_view::npos ? v.size() : semi + 1;
    } else {
      size_t semi = v.find(';', i);
      value = std::string(trim(v.substr(i, semi == std::string_view::npos ? v.npos : semi - i)));
      i = semi == std::string_view::npos ? v.size() : semi + 1;
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

// The last path component without control characters: a client-chosen name is only a label.
std::string sanitize_filename(std::string_view name) {
  size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string out;
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) continue;
    out.push_back(c);
  }
  if (out.empty() || out == "." || out == "..") out = "upload";
  if (out.size() > 255) out.resize(255);
  return out;
}

}  // namespace

bool is_multipart_form(std::string_view content_type) {
  auto semi = content_type.find(';');
  return iequals(trim(content_type.substr(0, semi)), "multipart/form-data");
}

core::Result<std::string> multipart_boundary(std::string_view content_type) {
  if (!is_multipart_form(content_type)) {
    return core::Status::invalid_argument("expected Content-Type multipart/form-data");
  }
  for (auto& [k, v] : header_params(content_type)) {
    if (k != "boundary") continue;
    if (v.empty() || v.size() > 70) {
      return core::Status::invalid_argument("multipart boundary must be 1 to 70 characters");
    }
    return v;
  }
  return core::Status::invalid_argument("multipart/form-data without a boundary");
}

MultipartParser::MultipartParser(std::string boundary, MultipartSink& sink, MultipartLimits limits)
    : delimiter_("\r\n--" + boundary), sink_(sink), limits_(limits) {
  // A body may start directly with "--boundary": pretend a CRLF precedes it.
  buf_ = "\r\n";
}

core::Status MultipartParser::fail(core::Status status) {
  state_ = State::kFailed;
  error_ = status;
  buf_.clear();
  return status;
}

core::Status MultipartParser::feed(std::string_view chunk) {
  if (state_ == State::kFailed) return error_;
  if (state_ == State::kEpilogue) return core::Status();
  buf_.append(chunk);
  for (;;) {
    bool progressed = false;
    auto st = step(progressed);
    if (!st.ok()) return fail(st);
    if (!progressed) return core::Status();
  }
}

core::Status MultipartParser::finish() {
  if (state_ == State::kFailed) return error_;
  if (state_ != State::kEpilogue) {
    return fail(core::Status::invalid_argument("multipart body ended before its closing boundary"));
  }
  return core::Status();
}

core::Status MultipartParser::step(bool& progressed) {
  progressed = false;
  const size_t keep = delimiter_.size() - 1;
  switch (state_) {
    case State::kPreamble: {
      size_t pos = buf_.find(delimiter_);
      if (pos == std::string::npos) {
        if (buf_.size() > keep) buf_.erase(0, buf_.size() - keep);
        return core::Status();
      }
      buf_.erase(0, pos + delimiter_.size());
      state_ = State::kAfterBoundary;
      progressed = true;
      return core::Status();
    }
    case State::kAfterBoundary: {
      if (!buf_.empty() && buf_[0] != '-' && buf_[0] != '\r' && buf_[0] != ' ' && buf_[0] != '\t') {
        return core::Status::invalid_argument("malformed multipart boundary line");
      }
      if (buf_.size() < 2) return core::Status();
      if (buf_.compare(0, 2, "--") == 0) {
        buf_.clear();
        state_ = State::kEpilogue;
        progressed = true;
        return core::Status();
      }
      size_t i = 0;
      while (i < buf_.size() && (buf_[i] == ' ' || buf_[i] == '\t')) ++i;
      if (i > 256) return core::Status::invalid_argument("malformed multipart boundary line");
      if (buf_.size() < i + 2) return core::Status();
      if (buf_[i] != '\r' || buf_[i + 1] != '\n') {
        return core::Status::invalid_argument("malformed multipart boundary line");
      }
      buf_.erase(0, i + 2);
      state_ = State::kHeaders;
      progressed = true;
      return core::Status();
    }
    case State::kHeaders: {
      size_t pos = buf_.find("\r\n\r\n");
      if (buf_.compare(0, 2, "\r\n") == 0) {
        return core::Status::invalid_argument("multipart part without headers");
      }
      if (pos == std::string::npos) {
        if (buf_.size() > limits_.max_header_bytes) {
          return core::Status::invalid_argument("multipart part headers too large");
        }
        return core::Status();
      }
      if (pos > limits_.max_header_bytes) {
        return core::Status::invalid_argument("multipart part headers too large");
      }
      if (++parts_ > limits_.max_parts) {
        return core::Status::out_of_range("too many multipart parts (limit " +
                                          std::to_string(limits_.max_parts) + ")");
      }
      CORE_RETURN_IF_ERROR(parse_headers(std::string_view(buf_).substr(0, pos)));
      buf_.erase(0, pos + 4);
      state_ = State::kBody;
      progressed = true;
      return core::Status();
    }
    case State::kBody: {
      size_t pos = buf_.find(delimiter_);
      if (pos == std::string::npos) {
        if (buf_.size() > keep) {
          size_t n = buf_.size() - keep;
          CORE_RETURN_IF_ERROR(sink_.on_part_data(std::string_view(buf_).substr(0, n)));
          buf_.erase(0, n);
        }
        return core::Status();
      }
      if (pos > 0) CORE_RETURN_IF_ERROR(sink_.on_part_data(std::string_view(buf_).substr(0, pos)));
      CORE_RETURN_IF_ERROR(sink_.on_part_end());
      buf_.erase(0, pos + delimiter_.size());
      state_ = State::kAfterBoundary;
      progressed = true;
      return core::Status();
    }
    case State::kEpilogue:
      buf_.clear();
      return core::Status();
    case State::kFailed:
      return error_;
  }
  return core::Status();
}

core::Status MultipartParser::parse_headers(std::string_view block) {
  PartHeaders h;
  h.content_type = "text/plain";
  bool has_disposition = false;
  while (!block.empty()) {
    size_t eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return core::Status::invalid_argument("malformed multipart part header");
    }
    std::string_view name = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-disposition")) {
      size_t semi = value.find(';');
      if (!iequals(trim(value.substr(0, semi)), "form-data")) {
        return core::Status::invalid_argument("multipart part is not form-data");
      }
      has_disposition = true;
      std::optional<std::string> ext_filename;
      for (auto& [k, v] : header_params(value)) {
        if (k == "name") {
          h.name = v;
        } else if (k == "filename") {
          h.filename = sanitize_filename(v);
        } else if (k == "filename*") {
          // RFC 5987: charset'lang'percent-encoded
          size_t q = v.find('\'');
          size_t q2 = q == std::string::npos ? q : v.find('\'', q + 1);
          if (q2 != std::string::npos) {
            auto decoded = percent_decode(std::string_view(v).substr(q2 + 1));
            if (decoded) ext_filename = sanitize_filename(*decoded);
          }
        }
      }
      if (ext_filename) h.filename = ext_filename;
    } else if (iequals(name, "content-type")) {
      h.content_type = std::string(value);
    }
  }
  if (!has_disposition) {
    return core::Status::invalid_argument("multipart part without Content-Disposition");
  }
  if (h.name.empty()) return core::Status::invalid_argument("multipart part without a name");
  return sink_.on_part_begin(h);
}

FormCollector::FormCollector(std::filesystem::path temp_dir, MultipartLimits limits)
    : temp_dir_(std::move(temp_dir)), limits_(limits), form_(std::make_shared<Form>()) {}

FormCollector::~FormCollector() { close_file(); }

void FormCollector::close_file() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

core::Status FormCollector::on_part_begin(const PartHeaders& headers) {
  if (!form_) return core::Status::failed_precondition("form already taken");
  if (!headers.filename) {
    form_->fields.emplace_back(headers.name, std::string());
    in_file_ = false;
    return core::Status();
  }
  std::error_code ec;
  std::filesystem::create_directories(temp_dir_, ec);
  if (ec) return core::Status::internal("cannot create upload directory: " + ec.message());
  auto path = temp_dir_ /
              ("upload-" + core::hex_encode(core::SecureRandom::instance().bytes(12)) + ".part");
  fd_ = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    return core::Status::internal(std::string("cannot create upload file: ") +
                                  std::strerror(errno));
  }
  UploadedFile f;
  f.field = headers.name;
  f.filename = *headers.filename;
  f.content_type = headers.content_type;
  f.path = std::move(path);
  form_->files.push_back(std::move(f));  // owned by the Form from now on (removed on error)
  in_file_ = true;
  return core::Status();
}

core::Status FormCollector::on_part_data(std::string_view data) {
  if (!form_) return core::Status::failed_precondition("form already taken");
  if (!in_file_) {
    auto& value = form_->fields.back().second;
    if (value.size() + data.size() > limits_.max_field_bytes) {
      return core::Status::out_of_range("form field '" + form_->fields.back().first +
                                        "' is too large");
    }
    fields_total_ += data.size();
    if (fields_total_ > limits_.max_fields_total) {
      return core::Status::out_of_range("form fields are too large");
    }
    value.append(data);
    return core::Status();
  }
  auto& f = form_->files.back();
  if (f.size + data.size() > limits_.max_file_bytes) {
    close_file();
    return core::Status::out_of_range("uploaded file is larger than " +
                                      std::to_string(limits_.max_file_bytes) + " bytes");
  }
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      close_file();
      return core::Status::internal(std::string("cannot write upload: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
    f.size += static_cast<uint64_t>(n);
  }
  return core::Status();
}

core::Status FormCollector::on_part_end() {
  close_file();
  in_file_ = false;
  return core::Status();
}

}  // namespace gw::http
