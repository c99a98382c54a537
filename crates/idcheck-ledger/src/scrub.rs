//! Vendor and gateway free text may echo what it was sent ("110105198003150012 欧阳娜娜 不一致"):
//! it is scrubbed before the ledger stores it.

/// `text` with every run of 11 or more ASCII digits (an ID number or a mobile, with an
/// optional trailing `X`) replaced by `[number]`, and every occurrence of `name` by `[name]`.
#[must_use]
pub fn scrub(text: &str, name: &str) -> String {
    let named = if name.is_empty() {
        text.to_owned()
    } else {
        text.replace(name, "[name]")
    };
    let mut out = String::with_capacity(named.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String, trailing_x: bool| {
        if digits.len() >= 11 {
            out.push_str("[number]");
        } else {
            out.push_str(digits);
            if trailing_x {
                out.push('X');
            }
        }
        digits.clear();
    };
    let mut chars = named.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            digits.push(c);
            if chars.peek().is_none_or(|n| !n.is_ascii_digit()) {
                let x = chars.peek().is_some_and(|n| matches!(n, 'X' | 'x')) && digits.len() >= 11;
                if x {
                    chars.next();
                }
                flush(&mut digits, &mut out, false);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::scrub;

    #[test]
    fn numbers_and_the_name_are_scrubbed() {
        assert_eq!(
            scrub("110105198003150012 欧阳娜娜 不一致", "欧阳娜娜"),
            "[number] [name] 不一致"
        );
        assert_eq!(scrub("id 11010519491231002X ok", ""), "id [number] ok");
        assert_eq!(scrub("mobile 13800138000", ""), "mobile [number]");
        assert_eq!(scrub("code 0008 at 2024", ""), "code 0008 at 2024");
        assert_eq!(scrub("1234567890X", ""), "1234567890X");
    }

    proptest! {
        #[test]
        fn no_long_digit_run_survives(text in "\\PC{0,60}", name in "\\PC{0,4}") {
            let out = scrub(&text, &name);
            let mut run = 0;
            for c in out.chars() {
                run = if c.is_ascii_digit() { run + 1 } else { 0 };
                prop_assert!(run < 11);
            }
        }
    }
}
