#include "gateway/metrics.h"

#include <cmath>
#include <sstream>

namespace gw {
namespace {

std::string format_value(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  std::ostringstream s;
  s.precision(9);
  s << v;
  return s.str();
}

const char* type_name(Metrics::Type t) {
  switch (t) {
    case Metrics::Type::kCounter:
      return "counter";
    case Metrics::Type::kGauge:
      return "gauge";
    case Metrics::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// Adds le="x" to a rendered label set.
std::string with_le(const std::string& labels, const std::string& le) {
  if (labels.empty()) return "{le=\"" + le + "\"}";
  return labels.substr(0, labels.size() - 1) + ",le=\"" + le + "\"}";
}

}  // namespace

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    for (char c : v) {
      if (c == '\\')
        out += "\\\\";
      else if (c == '"')
        out += "\\\"";
      else if (c == '\n')
        out += "\\n";
      else
        out += c;
    }
    out += '"';
  }
  return out + "}";
}

const std::vector<double>& Metrics::default_buckets() {
  static const std::vector<double> b = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,  0.5,   1,    2.5,   5,    10};
  return b;
}

Metrics::Family& Metrics::family(std::string_view name, Type type) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    Family f;
    f.type = type;
    if (type == Type::kHistogram) f.bounds = default_buckets();
    it = families_.emplace(std::string(name), std::move(f)).first;
  }
  return it->second;
}

void Metrics::describe(std::string_view name, Type type, std::string_view help,
                       std::vector<double> buckets) {
  std::lock_guard lock(mu_);
  auto& f = family(name, type);
  f.type = type;
  f.help = std::string(help);
  if (!buckets.empty() && f.series.empty()) f.bounds = std::move(buckets);
}

void Metrics::inc(std::string_view name, const Labels& labels, double by) {
  std::lock_guard lock(mu_);
  family(name, Type::kCounter).series[render_labels(labels)].value += by;
}

void Metrics::set_gauge(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  family(name, Type::kGauge).series[render_labels(labels)].value = value;
}

void Metrics::observe(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  auto& f = family(name, Type::kHistogram);
  auto& s = f.series[render_labels(labels)];
  if (s.buckets.size() != f.bounds.size()) s.buckets.assign(f.bounds.size(), 0);
  for (size_t i = 0; i < f.bounds.size(); ++i) {
    if (value <= f.bounds[i]) ++s.buckets[i];
  }
  s.sum += value;
  ++s.count;
}

void Metrics::add_collector(std::string_view, Collector collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string Metrics::render() const {
  // Collected values are merged into a scratch copy so collectors never hold the lock.
  struct Scratch final : Sink {
    std::map<std::string, Family, std::less<>> extra;
    void gauge(std::string_view name, const Labels& labels, double value) override {
      auto& f = extra[std::string(name)];
      f.type = Type::kGauge;
      f.series[render_labels(labels)].value = value;
    }
    void counter(std::string_view name, const Labels& labels, double value) override {
      auto& f = extra[std::string(name)];
      f.type = Type::kCounter;
      f.series[render_labels(labels)].value = value;
    }
  } scratch;
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(mu_);
    collectors = collectors_;
  }
  for (auto& c : collectors) c(scratch);

  std::lock_guard lock(mu_);
  auto families = families_;
  for (auto& [name, f] : scratch.extra) {
    auto& dst = families[name];
    if (dst.series.empty()) dst.type = f.type;
    for (auto& [labels, s] : f.series) dst.series[labels] = s;
  }
  std::string out;
  for (const auto& [name, f] : families) {
    if (!f.help.empty()) out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + type_name(f.type) + "\n";
    for (const auto& [labels, s] : f.series) {
      if (f.type != Type::kHistogram) {
        out += name + labels + " " + format_value(s.value) + "\n";
        continue;
      }
      for (size_t i = 0; i < f.bounds.size(); ++i) {
        out += name + "_bucket" + with_le(labels, format_value(f.bounds[i])) + " " +
               std::to_string(i < s.buckets.size() ? s.buckets[i] : 0) + "\n";
      }
      out += name + "_bucket" + with_le(labels, "+Inf") + " " + std::to_string(s.count) + "\n";
      out += name + "_sum" + labels + " " + format_value(s.sum) + "\n";
      out += name + "_count" + labels + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

double Metrics::value(std::string_view name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto s = it->second.series.find(render_labels(labels));
  return s == it->second.series.end() ? 0 : s->second.value;
}

uint64_t Metrics::histogram_count(std::string_view name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto s = it->second.series.find(render_labels(labels));
  return s == it->second.series.end() ? 0 : s->second.count;
}

}  // namespace gw
