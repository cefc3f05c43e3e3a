//! Embeds every `migrations/NNNN_name.sql` into the core, in order, so a new
//! migration file needs no code change and cannot be forgotten.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<(u32, String)> = std::fs::read_dir(&dir)
        .expect("migrations/ is readable")
        .map(|e| {
            e.expect("migrations/ entry")
                .file_name()
                .into_string()
                .expect("UTF-8 file name")
        })
        .filter(|name| name.ends_with(".sql"))
        .map(|name| {
            let version: u32 = name
                .split('_')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| {
                    panic!("migration {name} must start with its number, e.g. 0002_")
                });
            (version, name)
        })
        .collect();
    files.sort();
    for (i, (version, name)) in files.iter().enumerate() {
        assert_eq!(
            *version as usize,
            i + 1,
            "migration {name} breaks the 1, 2, 3… numbering"
        );
    }
    let mut out = String::from("/// Every migration of this build: (version, file name, SQL).\npub const MIGRATIONS: &[(i64, &str, &str)] = &[\n");
    for (version, name) in &files {
        let path = dir.join(name);
        writeln!(
            out,
            "    ({version}, {name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("migrations.rs");
    std::fs::write(dest, out).unwrap();
}
