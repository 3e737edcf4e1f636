//! Byte sizes in settings: `1073741824`, `512MiB`, `10GiB`, `1TiB` (binary units; `KB`-style
//! decimal units are refused rather than guessed).

/// Parses a size; the `value_parser` of every byte-size flag.
pub fn parse_bytes(raw: &str) -> Result<i64, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("{raw:?} is not a size (e.g. 1073741824, 512MiB, 10GiB)"))?;
    let factor: i64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        other => {
            return Err(format!(
                "unknown size unit {other:?} (use B, KiB, MiB, GiB, TiB)"
            ));
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("{raw:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn binary_units_and_plain_bytes() {
        assert_eq!(parse_bytes("1024"), Ok(1024));
        assert_eq!(parse_bytes("512MiB"), Ok(512 << 20));
        assert_eq!(parse_bytes("10GiB"), Ok(10 << 30));
        assert_eq!(parse_bytes("10 GiB"), Ok(10 << 30));
        assert!(parse_bytes("10GB").is_err());
        assert!(parse_bytes("GiB").is_err());
        assert!(parse_bytes("99999999999TiB").is_err());
    }
}
