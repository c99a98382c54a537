//! Offline validation: what ID numbers, mobiles and names say by themselves, for free.
//! No network, no credentials, no async.
//!
//! `cargo run --example validate`, or give your own: `cargo run --example validate -- 11010519491231002X 张三`

use idcheck::{IdNumber, IdParser, Mobile, Name};

fn main() {
    let mut inputs: Vec<String> = std::env::args().skip(1).collect();
    if inputs.is_empty() {
        // Synthetic examples: a valid number, a typo in the check character, an impossible
        // date, a mobile, a name with a space the vendors refuse.
        inputs = [
            "11010519491231002X",
            "110105194912310021",
            "110105194902300025",
            "13800138000",
            "欧阳娜娜",
            "张 三",
        ]
        .map(String::from)
        .to_vec();
    }
    let strict = IdParser::new().strict(true);
    for input in &inputs {
        // Errors never hold the input; the masked forms are safe to log.
        if input.chars().any(|c| c.is_ascii_digit()) && input.chars().count() >= 15 {
            match IdNumber::parse(input) {
                Ok(id) => {
                    let region = id
                        .region()
                        .map_or_else(|| "-".to_owned(), |r| r.to_string());
                    // `id.birthday()` and `id.age_on(day)` are there too; never print them
                    // beside the masked number: together they rebuild it.
                    println!(
                        "{}: valid ID number, {:?}, {}, region {region}{}",
                        id.masked(),
                        id.kind(),
                        id.sex(),
                        if strict.parse(input).is_ok() {
                            ""
                        } else {
                            " (refused in strict mode)"
                        }
                    );
                }
                Err(e) => println!("ID number rejected for free: {e}"),
            }
        } else if input
            .chars()
            .all(|c| c.is_ascii_digit() || "+- ".contains(c))
        {
            match Mobile::parse(input) {
                Ok(m) => println!(
                    "{}: valid mobile, {:?}, allocated to {}",
                    m.masked(),
                    m.kind(),
                    m.original_carrier()
                ),
                Err(e) => println!("mobile rejected for free: {e}"),
            }
        } else {
            match Name::parse(input) {
                Ok(n) => println!("{}: valid name, {} characters", n.masked(), n.char_count()),
                Err(e) => println!("name rejected for free: {e}"),
            }
        }
    }
}
