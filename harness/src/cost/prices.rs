//! The EC2 price table, `data/ec2-prices.csv`: read through the `csv` crate into a typed row,
//! then checked, every error naming the file, the line, the column and what it needs.

use std::path::{Path, PathBuf};

/// The columns of the price table, in order.
pub const COLUMNS: [&str; 8] = [
    "instance_type",
    "arch",
    "vcpu",
    "memory_gib",
    "usd_per_hour_2017_02",
    "usd_per_hour_2026_07",
    "burstable",
    "baseline_cpu_per_vcpu_pct",
];

/// The index of the `arch` column.
const ARCH: usize = 1;

/// What each column needs, in the words of the errors.
const EXPECTED: [&str; 8] = [
    "an instance type such as t3.micro",
    "x86_64 or aarch64",
    "a whole number of vCPUs, at least 1",
    "memory in GiB, above 0",
    "USD per hour above 0, or nothing where there was no price",
    "USD per hour, above 0",
    "true or false",
    "a percentage above 0 and at most 100",
];

/// CPU architecture of an instance type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Arch {
    /// Intel and AMD.
    #[serde(rename = "x86_64")]
    X86_64,
    /// AWS Graviton.
    #[serde(rename = "aarch64")]
    Aarch64,
}

impl Arch {
    /// The name used in the price table.
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }
}

/// One row of the price table: an EC2 instance type, its size and its on-demand price.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Price {
    /// EC2 instance type (`t3.micro`).
    pub instance_type: String,
    /// CPU architecture.
    pub arch: Arch,
    /// vCPUs.
    pub vcpu: u32,
    /// Memory, GiB.
    pub memory_gib: f64,
    /// USD per hour in February 2017 (t2 only: later families did not exist).
    pub usd_per_hour_2017: Option<f64>,
    /// USD per hour in July 2026.
    pub usd_per_hour_2026: f64,
    /// A T-family instance, which earns CPU credits.
    pub burstable: bool,
    /// CPU per vCPU the instance may use without spending credits, percent (100 if fixed).
    pub baseline_cpu_per_vcpu_pct: f64,
}

impl Price {
    /// CPU the instance sustains, in vCPUs: `vcpu × baseline / 100` (t3.large: 0.6).
    pub fn sustained_vcpu(&self) -> f64 {
        f64::from(self.vcpu) * self.baseline_cpu_per_vcpu_pct / 100.0
    }
}

/// One line of the price table as the `csv` crate reads it, in [`COLUMNS`] order; the checks
/// the types cannot make are made by [`check`].
#[derive(Debug, serde::Deserialize)]
struct Row {
    instance_type: String,
    arch: Arch,
    vcpu: u32,
    memory_gib: f64,
    usd_per_hour_2017_02: Option<f64>,
    usd_per_hour_2026_07: f64,
    burstable: bool,
    baseline_cpu_per_vcpu_pct: f64,
}

/// Why the price table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not CSV the `csv` crate can read.
    #[error("{}: line {line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Line, from 1.
        line: u64,
        /// What the reader said.
        message: String,
    },
    /// A field (or a header cell) holds something other than what its column needs.
    #[error("{}: line {line}, column {column} ({name}): expected {expected}, found {found:?}", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// The column's name.
        name: &'static str,
        /// What the column needs.
        expected: String,
        /// What it holds.
        found: String,
    },
    /// A row has too few or too many fields.
    #[error("{}: line {line}, column {column}: expected {} fields, found {found}", path.display(), COLUMNS.len())]
    Columns {
        /// The file.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// The first missing or extra column, from 1.
        column: usize,
        /// Fields on the line.
        found: usize,
    },
    /// An instance type is listed twice.
    #[error("{}: line {line}, column 1 (instance_type): {instance_type} is already listed on line {first}", path.display())]
    Duplicate {
        /// The file.
        path: PathBuf,
        /// Line of the second listing.
        line: usize,
        /// The instance type.
        instance_type: String,
        /// Line of the first listing.
        first: usize,
    },
    /// No instance type at all.
    #[error("{}: no instance types (a header and at least one row are needed)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

/// Reads and checks the price table at `path`.
pub fn load_prices(path: &Path) -> Result<Vec<Price>, PriceError> {
    let text = std::fs::read_to_string(path).map_err(|source| PriceError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_prices(&text, path)
}

/// Parses the price table `text` (read from `path`, which errors name): a header with the
/// columns of `data/README.md` in order, then one instance type per line. Blank lines are
/// ignored; fields are trimmed and may be quoted.
pub fn parse_prices(text: &str, path: &Path) -> Result<Vec<Price>, PriceError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records().filter_map(|record| match record {
        // A line of spaces is one empty field: as blank as an empty line, which csv skips.
        Ok(r) if r.len() == 1 && r[0].is_empty() => None,
        Ok(r) => {
            let line = r.position().map_or(0, |p| p.line()) as usize;
            Some(Ok((line, r)))
        }
        Err(e) => Some(Err(PriceError::Syntax {
            path: path.to_owned(),
            line: e.position().map_or(0, csv::Position::line),
            message: e.to_string(),
        })),
    });
    let Some(header) = records.next() else {
        return Err(PriceError::Empty {
            path: path.to_owned(),
        });
    };
    let (header_line, header) = header?;
    check_width(&header, header_line, path)?;
    for (i, (cell, &name)) in header.iter().zip(COLUMNS.iter()).enumerate() {
        if cell != name {
            return Err(PriceError::Field {
                path: path.to_owned(),
                line: header_line,
                column: i + 1,
                name,
                expected: format!("the header {name:?}"),
                found: cell.to_owned(),
            });
        }
    }
    let mut prices: Vec<(usize, Price)> = Vec::new();
    for record in records {
        let (line, record) = record?;
        check_width(&record, line, path)?;
        let price = parse_row(&record, line, path)?;
        if let Some((first, _)) = prices
            .iter()
            .find(|(_, p)| p.instance_type == price.instance_type)
        {
            return Err(PriceError::Duplicate {
                path: path.to_owned(),
                line,
                instance_type: price.instance_type,
                first: *first,
            });
        }
        prices.push((line, price));
    }
    if prices.is_empty() {
        return Err(PriceError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(prices.into_iter().map(|(_, p)| p).collect())
}

/// Every line has exactly the columns of [`COLUMNS`].
fn check_width(record: &csv::StringRecord, line: usize, path: &Path) -> Result<(), PriceError> {
    if record.len() == COLUMNS.len() {
        return Ok(());
    }
    Err(PriceError::Columns {
        path: path.to_owned(),
        line,
        column: record.len().min(COLUMNS.len()) + 1,
        found: record.len(),
    })
}

/// A line of the table as a [`Price`]: its types through serde, then the ranges.
fn parse_row(record: &csv::StringRecord, line: usize, path: &Path) -> Result<Price, PriceError> {
    let bad = |column: usize| PriceError::Field {
        path: path.to_owned(),
        line,
        column: column + 1,
        name: COLUMNS[column],
        expected: EXPECTED[column].to_owned(),
        found: record[column].to_owned(),
    };
    let row: Row = record.deserialize(None).map_err(|e| match e.kind() {
        // csv numbers its own parse errors; serde's (an unknown variant) carry no field, and
        // `arch` is the one column whose type makes them.
        csv::ErrorKind::Deserialize { err, .. } => bad(err
            .field()
            .map_or(ARCH, |f| f as usize)
            .min(COLUMNS.len() - 1)),
        _ => PriceError::Syntax {
            path: path.to_owned(),
            line: line as u64,
            message: e.to_string(),
        },
    })?;
    let positive = |v: f64| v.is_finite() && v > 0.0;
    if row.instance_type.is_empty() || row.instance_type.contains(char::is_whitespace) {
        return Err(bad(0));
    }
    if row.vcpu == 0 {
        return Err(bad(2));
    }
    if !positive(row.memory_gib) {
        return Err(bad(3));
    }
    if row.usd_per_hour_2017_02.is_some_and(|v| !positive(v)) {
        return Err(bad(4));
    }
    if !positive(row.usd_per_hour_2026_07) {
        return Err(bad(5));
    }
    if !positive(row.baseline_cpu_per_vcpu_pct) || row.baseline_cpu_per_vcpu_pct > 100.0 {
        return Err(bad(7));
    }
    Ok(Price {
        instance_type: row.instance_type,
        arch: row.arch,
        vcpu: row.vcpu,
        memory_gib: row.memory_gib,
        usd_per_hour_2017: row.usd_per_hour_2017_02,
        usd_per_hour_2026: row.usd_per_hour_2026_07,
        burstable: row.burstable,
        baseline_cpu_per_vcpu_pct: row.baseline_cpu_per_vcpu_pct,
    })
}

/// Why a choice of instance types was refused.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// Not in the price table.
    #[error("unknown instance type {name:?}; known types: {}", known.join(", "))]
    Unknown {
        /// What was asked for.
        name: String,
        /// Every type in the price table.
        known: Vec<String>,
    },
    /// An aarch64 type asked for without asking for aarch64.
    #[error(
        "{name} is an aarch64 type and the stacks are built for x86_64; pass --aarch64 to project onto aarch64 types anyway"
    )]
    Aarch64 {
        /// What was asked for.
        name: String,
    },
}

/// The instance types to project onto, in the price table's order: `wanted` (every type when
/// `None`), x86_64 only unless `aarch64`.
pub fn select(
    prices: &[Price],
    wanted: Option<&[String]>,
    aarch64: bool,
) -> Result<Vec<Price>, SelectError> {
    let arch_ok = |p: &Price| aarch64 || p.arch == Arch::X86_64;
    let Some(wanted) = wanted else {
        return Ok(prices.iter().filter(|p| arch_ok(p)).cloned().collect());
    };
    for name in wanted {
        match prices.iter().find(|p| &p.instance_type == name) {
            None => {
                return Err(SelectError::Unknown {
                    name: name.clone(),
                    known: prices.iter().map(|p| p.instance_type.clone()).collect(),
                });
            }
            Some(p) if !arch_ok(p) => {
                return Err(SelectError::Aarch64 { name: name.clone() });
            }
            Some(_) => {}
        }
    }
    Ok(prices
        .iter()
        .filter(|p| wanted.contains(&p.instance_type))
        .cloned()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_errors_name_the_line_and_the_column() {
        let path = Path::new("data/ec2-prices.csv");
        let header = COLUMNS.join(",");
        let good = "t3.micro,x86_64,2,1,,0.0104,true,10";
        let parse = |body: &str| parse_prices(&format!("{header}\n{body}\n"), path);

        let prices = parse(&format!(
            "t2.micro,x86_64,1,1,0.012,0.0116,true,10\r\n\n{good}"
        ))
        .unwrap();
        assert_eq!(prices.len(), 2);
        assert_eq!(prices[0].usd_per_hour_2017, Some(0.012));
        assert_eq!(prices[1].usd_per_hour_2017, None);
        assert!((prices[1].sustained_vcpu() - 0.2).abs() < 1e-9);

        let message = |body: &str| parse(body).unwrap_err().to_string();
        let e = message(&format!("{good}\nt3.small,x86_64,2,2,,cheap,true,20"));
        assert_eq!(
            e,
            "data/ec2-prices.csv: line 3, column 6 (usd_per_hour_2026_07): expected USD per hour, above 0, found \"cheap\""
        );
        let e = message("t3.small,x86_64,2,2,,0.0208,yes,20");
        assert!(e.contains("line 2, column 7 (burstable)"), "{e}");
        let e = message("t3.small,sparc,2,2,,0.0208,true,20");
        assert!(e.contains("line 2, column 2 (arch)"), "{e}");
        let e = message("t3.small,x86_64,2,2,,0.0208,true,120");
        assert!(
            e.contains("line 2, column 8 (baseline_cpu_per_vcpu_pct)"),
            "{e}"
        );
        let e = message("t3.small,x86_64,0,2,,0.0208,true,20");
        assert!(e.contains("line 2, column 3 (vcpu)"), "{e}");
        let e = message("t3.small,x86_64,2,2,,0.0208,true");
        assert!(
            e.contains("line 2, column 8: expected 8 fields, found 7"),
            "{e}"
        );
        let e = message(&format!("{good}\n{good}"));
        assert!(
            e.contains("line 3, column 1 (instance_type): t3.micro is already listed on line 2"),
            "{e}"
        );

        let e = parse_prices("instance_type,arch,cpus,memory_gib,a,b,c,d\n", path)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1, column 3 (vcpu)"), "{e}");
        assert!(e.contains("found \"cpus\""), "{e}");
        assert!(matches!(
            parse_prices(&format!("{header}\n"), path),
            Err(PriceError::Empty { .. })
        ));
    }

    #[test]
    fn quoted_fields_and_blank_lines_are_csv_not_text() {
        let path = Path::new("data/ec2-prices.csv");
        let header = COLUMNS.join(",");
        // Quoted fields, spaces around fields and a line of spaces: read as CSV.
        let text = format!(
            "{header}\n\"t3.micro\", x86_64 ,\"2\",1,,0.0104,true,10\n   \n\"t3.small\",x86_64,2,2,\"\",0.0208,true,20\n"
        );
        let prices = parse_prices(&text, path).unwrap();
        let names: Vec<&str> = prices.iter().map(|p| p.instance_type.as_str()).collect();
        assert_eq!(names, ["t3.micro", "t3.small"]);
        assert_eq!(prices[1].usd_per_hour_2017, None);
        // A comma inside quotes is part of the field, not a separator: the line keeps 8
        // fields, and the name is refused for what it is.
        let e = parse_prices(
            &format!("{header}\n\"t3 micro,x\",x86_64,2,1,,0.0104,true,10\n"),
            path,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "data/ec2-prices.csv: line 2, column 1 (instance_type): expected an instance type such as t3.micro, found \"t3 micro,x\""
        );
        // A 2017 price that is there but not a number names its column.
        let e = parse_prices(
            &format!("{header}\nt2.micro,x86_64,1,1,soon,0.0116,true,10\n"),
            path,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("line 2, column 5 (usd_per_hour_2017_02)"), "{e}");
        assert!(e.contains("found \"soon\""), "{e}");
        // Lines keep counting across quoted fields that span lines.
        let e = parse_prices(
            &format!("{header}\n\"t2\nmicro\",x86_64,1,1,,0.0116,true,10\nt3.micro,x86_64,0,1,,0.0104,true,10\n"),
            path,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("line 2, column 1 (instance_type)"), "{e}");
    }

    #[test]
    fn the_project_price_table_parses() {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/ec2-prices.csv");
        let prices = load_prices(&file).unwrap();
        assert_eq!(prices.len(), 33);
        let find = |t: &str| prices.iter().find(|p| p.instance_type == t).unwrap();
        assert!((find("t3.large").sustained_vcpu() - 0.6).abs() < 1e-9);
        assert_eq!(find("t2.micro").usd_per_hour_2017, Some(0.012));
        assert_eq!(find("t3.micro").usd_per_hour_2017, None);
        assert_eq!(find("m7g.large").arch, Arch::Aarch64);
        assert!((find("m6i.large").sustained_vcpu() - 2.0).abs() < 1e-9);
        let missing = load_prices(Path::new("/no/such/prices.csv")).unwrap_err();
        assert!(missing.to_string().contains("/no/such/prices.csv"));
    }

    #[test]
    fn instance_types_are_chosen_by_name_and_architecture() {
        let price = |t: &str, arch| Price {
            instance_type: t.to_owned(),
            arch,
            vcpu: 2,
            memory_gib: 1.0,
            usd_per_hour_2017: None,
            usd_per_hour_2026: 0.01,
            burstable: true,
            baseline_cpu_per_vcpu_pct: 10.0,
        };
        let prices = [
            price("t3.micro", Arch::X86_64),
            price("t4g.micro", Arch::Aarch64),
        ];
        let names =
            |v: Vec<Price>| -> Vec<String> { v.into_iter().map(|p| p.instance_type).collect() };
        assert_eq!(names(select(&prices, None, false).unwrap()), ["t3.micro"]);
        assert_eq!(
            names(select(&prices, None, true).unwrap()),
            ["t3.micro", "t4g.micro"]
        );
        let e = select(&prices, Some(&["t3.mega".to_owned()]), false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "unknown instance type \"t3.mega\"; known types: t3.micro, t4g.micro"
        );
        let e = select(&prices, Some(&["t4g.micro".to_owned()]), false).unwrap_err();
        assert!(matches!(e, SelectError::Aarch64 { .. }));
        assert!(e.to_string().contains("--aarch64"));
    }
}
