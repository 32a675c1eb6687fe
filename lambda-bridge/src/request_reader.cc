#include "request_reader.h"

#include "base/http_head.h"

namespace wsgw::lambda {
namespace {

RequestReader& ReaderOf(http_parser* parser) { return *static_cast<RequestReader*>(parser->data); }

}  // namespace

RequestReader::RequestReader(size_t max_body_bytes) : maxBodyBytes_(max_body_bytes) {
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = OnMessageBegin;
  settings_.on_url = OnUrl;
  settings_.on_header_field = OnHeaderField;
  settings_.on_header_value = OnHeaderValue;
  settings_.on_headers_complete = OnHeadersComplete;
  settings_.on_body = OnBody;
  settings_.on_message_complete = OnMessageComplete;
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

void RequestReader::FinishHeader() {
  if (inValue_ && EqualsIgnoreCase(headerField_, "expect") &&
      EqualsIgnoreCase(TrimSpace(headerValue_), "100-continue")) {
    expectContinue_ = true;
  }
  headerField_.clear();
  headerValue_.clear();
  inValue_ = false;
}

int RequestReader::OnMessageBegin(http_parser* parser) {
  RequestReader& reader = ReaderOf(parser);
  reader.request_ = InvokeRequest{};
  reader.headerField_.clear();
  reader.headerValue_.clear();
  reader.inValue_ = false;
  reader.expectContinue_ = false;
  return 0;
}

int RequestReader::OnUrl(http_parser* parser, const char* at, size_t length) {
  ReaderOf(parser).request_.url.append(at, length);
  return 0;
}

int RequestReader::OnHeaderField(http_parser* parser, const char* at, size_t length) {
  RequestReader& reader = ReaderOf(parser);
  if (reader.inValue_) reader.FinishHeader();
  reader.headerField_.append(at, length);
  return 0;
}

int RequestReader::OnHeaderValue(http_parser* parser, const char* at, size_t length) {
  RequestReader& reader = ReaderOf(parser);
  reader.inValue_ = true;
  reader.headerValue_.append(at, length);
  return 0;
}

int RequestReader::OnHeadersComplete(http_parser* parser) {
  RequestReader& reader = ReaderOf(parser);
  reader.FinishHeader();
  reader.request_.method = http_method_str(static_cast<http_method>(parser->method));
  if ((parser->flags & F_CONTENTLENGTH) && parser->content_length > reader.maxBodyBytes_) {
    reader.tooLarge_ = true;
    return -1;  // an error: the connection answers 413 and closes
  }
  if (parser->flags & F_CONTENTLENGTH) {
    reader.request_.body.reserve(static_cast<size_t>(parser->content_length));
  }
  if (reader.expectContinue_) reader.continueDue_ = true;
  return 0;
}

int RequestReader::OnBody(http_parser* parser, const char* at, size_t length) {
  RequestReader& reader = ReaderOf(parser);
  if (reader.request_.body.size() + length > reader.maxBodyBytes_) {
    reader.tooLarge_ = true;
    return -1;
  }
  reader.request_.body.append(at, length);
  return 0;
}

int RequestReader::OnMessageComplete(http_parser* parser) {
  ReaderOf(parser).request_.keep_alive = http_should_keep_alive(parser) != 0;
  // Pausing hands the request out before any pipelined request that follows is parsed.
  http_parser_pause(parser, 1);
  return 0;
}

bool RequestReader::TakeContinue() {
  bool due = continueDue_;
  continueDue_ = false;
  return due;
}

const char* RequestReader::errorDescription() const {
  return http_errno_description(HTTP_PARSER_ERRNO(&parser_));
}

RequestReader::Step RequestReader::Feed(const char* data, size_t length, size_t* consumed) {
  *consumed = 0;
  if (failed_) return Step::kError;
  *consumed = http_parser_execute(&parser_, &settings_, data, length);
  http_errno error = HTTP_PARSER_ERRNO(&parser_);
  if (error == HPE_PAUSED) {
    http_parser_pause(&parser_, 0);
    return Step::kRequest;
  }
  if (error != HPE_OK) {
    failed_ = true;
    return Step::kError;
  }
  // http-parser consumes everything it is given unless it stops with an error or a pause.
  if (*consumed < length) {
    failed_ = true;
    return Step::kError;
  }
  return Step::kNeedMore;
}

}  // namespace wsgw::lambda
