//! Texts the firmware formats the same way everywhere: byte sizes (`esp3d_string::formatBytes`) and the
//! content type of a file by its extension (`getContentType`).

/// `formatBytes`: whole bytes below 1 KiB (`20 B`), else two decimals of KB, MB or GB (`1.31 MB`).
pub fn format_bytes(bytes: u64) -> String {
    const K: f64 = 1024.0;
    let b = bytes as f64;
    // The firmware converts to a 32-bit float before printing.
    if bytes < 1024 {
        format!("{bytes} B")
    } else if b < K * K {
        format!("{:.2} KB", (b / K) as f32)
    } else if b < K * K * K {
        format!("{:.2} MB", (b / K / K) as f32)
    } else {
        format!("{:.2} GB", (b / K / K / K) as f32)
    }
}

/// The content type the firmware serves a file with.
pub fn content_type(path: &str) -> &'static str {
    let lower = path.to_ascii_lowercase();
    let table: [(&[&str], &str); 12] = [
        (&[".htm", ".html"], "text/html"),
        (&[".css"], "text/css"),
        (&[".js"], "application/javascript"),
        (&[".png"], "image/png"),
        (&[".gif"], "image/gif"),
        (&[".jpeg", ".jpg"], "image/jpeg"),
        (&[".ico"], "image/x-icon"),
        (&[".xml"], "text/xml"),
        (&[".pdf"], "application/x-pdf"),
        (&[".zip"], "application/x-zip"),
        (&[".gz"], "application/x-gzip"),
        (&[".txt", ".gcode", ".gco", ".g"], "text/plain"),
    ];
    table
        .iter()
        .find(|(ends, _)| ends.iter().any(|e| lower.ends_with(e)))
        .map_or("application/octet-stream", |(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_the_firmware_prints_them() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(20), "20 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1024), "1.00 KB");
        assert_eq!(format_bytes(1_376_256), "1.31 MB");
        assert_eq!(format_bytes(4 * 1024 * 1024 * 1024), "4.00 GB");
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type("/index.html"), "text/html");
        assert_eq!(content_type("/CUBE.GCO"), "text/plain");
        assert_eq!(content_type("/a.json"), "application/octet-stream");
        assert_eq!(content_type("/index.html.gz"), "application/x-gzip");
    }
}
