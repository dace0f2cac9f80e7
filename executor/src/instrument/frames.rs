//! Reading std's `Backtrace` display format: one `  N: symbol` line per frame, followed by
//! `at file:line:col` lines (one per inlined location). Spin reports and the test kit
//! (`wakeful-test`) both trim captured self-wake stacks with it; each applies its own filter.

/// `(symbol, first location)` for each frame of `text`, a `Backtrace`'s `Display` output,
/// innermost first.
#[doc(hidden)]
pub fn backtrace_frames(text: &str) -> Vec<(String, Option<String>)> {
    let mut frames: Vec<(String, Option<String>)> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if let Some(loc) = t.strip_prefix("at ") {
            if let Some(last) = frames.last_mut() {
                last.1.get_or_insert_with(|| loc.to_owned());
            }
        } else if let Some((num, symbol)) = t.split_once(": ") {
            if !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()) {
                frames.push((symbol.to_owned(), None));
            }
        }
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::backtrace_frames;

    #[test]
    fn symbols_take_their_first_location() {
        let text = "   0: a::b\n             at ./src/x.rs:1:2\n             at ./src/y.rs:3:4\n   1: c\n   2: d::e\n             at ./src/z.rs:5:6\nnot: a frame\n";
        assert_eq!(
            backtrace_frames(text),
            vec![
                ("a::b".to_owned(), Some("./src/x.rs:1:2".to_owned())),
                ("c".to_owned(), None),
                ("d::e".to_owned(), Some("./src/z.rs:5:6".to_owned())),
            ]
        );
    }
}
