//! A strict parser of the Prometheus/OpenMetrics text format, for `/metrics`.
use std::collections::HashMap;

/// Sample values by series (`name` or `name{labels}`, as written).
pub type Metrics = HashMap<String, f64>;

/// Parses the Prometheus/OpenMetrics text format strictly: every sample belongs to a
/// family declared by `# TYPE` (and described by `# HELP`) before it, names and label
/// sets are well-formed, values are numbers, no series repeats, and `# EOF` ends it.
pub fn parse_metrics(text: &str) -> Result<Metrics, String> {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut helps: HashMap<String, String> = HashMap::new();
    let mut samples = Metrics::new();
    let mut eof = false;
    let valid_name = |n: &str| {
        !n.is_empty()
            && n.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
            })
    };
    for (i, line) in text.lines().enumerate() {
        let at = |msg: &str| format!("line {}: {msg}: {line:?}", i + 1);
        if eof {
            return Err(at("text after # EOF"));
        }
        if line == "# EOF" {
            eof = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kind, name, value) = (parts.next(), parts.next(), parts.next());
            let (Some(kind), Some(name)) = (kind, name) else {
                return Err(at("malformed comment"));
            };
            if !valid_name(name) {
                return Err(at("bad metric name"));
            }
            match kind {
                "TYPE" => {
                    let t = value.ok_or_else(|| at("TYPE without a type"))?;
                    if ![
                        "counter",
                        "gauge",
                        "histogram",
                        "summary",
                        "info",
                        "stateset",
                        "unknown",
                        "gaugehistogram",
                    ]
                    .contains(&t)
                    {
                        return Err(at("unknown type"));
                    }
                    if types.insert(name.to_string(), t.to_string()).is_some() {
                        return Err(at("family declared twice"));
                    }
                }
                "HELP" => {
                    helps.insert(name.to_string(), value.unwrap_or_default().to_string());
                }
                "UNIT" => {}
                _ => return Err(at("unknown comment")),
            }
            continue;
        }
        if line.is_empty() {
            return Err(at("empty line"));
        }
        let (series, value) = line.rsplit_once(' ').ok_or_else(|| at("no value"))?;
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().map_err(|_| at("value is not a number"))?,
        };
        let name = match series.find('{') {
            Some(open) => {
                let labels = series[open..]
                    .strip_prefix('{')
                    .and_then(|l| l.strip_suffix('}'))
                    .ok_or_else(|| at("unterminated labels"))?;
                for pair in labels.split(',').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').ok_or_else(|| at("label without ="))?;
                    let quoted = v.len() >= 2 && v.starts_with('"') && v.ends_with('"');
                    if !(valid_name(k) && quoted) {
                        return Err(at("malformed label"));
                    }
                }
                &series[..open]
            }
            None => series,
        };
        if !valid_name(name) {
            return Err(at("bad sample name"));
        }
        let family = types
            .keys()
            .filter(|f| {
                name == f.as_str()
                    || ["_total", "_created", "_bucket", "_count", "_sum", "_info"]
                        .iter()
                        .any(|s| name.strip_suffix(s) == Some(f.as_str()))
            })
            .max_by_key(|f| f.len())
            .ok_or_else(|| at("sample of an undeclared family"))?;
        if types[family] == "counter"
            && name != format!("{family}_total")
            && !name.ends_with("_created")
        {
            return Err(at("a counter sample must end in _total"));
        }
        if !helps.contains_key(family) {
            return Err(at("family without HELP"));
        }
        if samples.insert(series.to_string(), value).is_some() {
            return Err(at("series repeated"));
        }
    }
    if !eof {
        return Err("no # EOF at the end".into());
    }
    Ok(samples)
}
