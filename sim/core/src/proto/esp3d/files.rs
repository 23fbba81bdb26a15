//! `/files` (the flash) and `/sdfiles` (the SD card) as `handle-files.cpp`, `handle-SD-files.cpp` and the
//! upload handlers run them: list, delete, deletedir, createdir and multipart upload, with the firmware's JSON.

use super::format::format_bytes;
use super::multipart::Part;
use crate::model::volume::{Volume, VolumeError};
use crate::time::SimTime;

/// Which filesystem a route serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fs {
    /// The ESP's flash (`/files`).
    Flash,
    /// The SD card (`/sdfiles`), whose entries also carry a `shortname`.
    Sd,
}

/// The request's arguments: query parameters, then form fields, first match wins (the web server's `arg`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Args(pub Vec<(String, String)>);

impl Args {
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// An upload error pushed to the terminal as `ERROR:<code>:<msg>`.
pub type PushedError = (u8, &'static str);

/// `ESP_ERROR_FILE_CREATION`.
pub const FILE_CREATION: PushedError = (2, "File creation failed");
/// `ESP_ERROR_FILE_WRITE`.
pub const FILE_WRITE: PushedError = (3, "File write failed");
/// `ESP_ERROR_NOT_ENOUGH_SPACE`.
pub const NOT_ENOUGH_SPACE: PushedError = (5, "Upload rejected");
/// `ESP_ERROR_SIZE`.
pub const SIZE: PushedError = (13, "File upload failed");

/// JSON string content: the firmware writes names raw; quotes, backslashes and control bytes are escaped
/// here so the listing stays JSON.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out += "\\\"",
            '\\' => out += "\\\\",
            c if (c as u32) < 0x20 => out += &format!("\\u{:04x}", c as u32),
            c => out.push(c),
        }
    }
    out
}

/// Runs the uploads of a multipart body; returns the pushed errors and whether the last file failed.
pub fn upload(vol: &mut Volume, now: SimTime, args: &Args, files: &[Part]) -> (Vec<PushedError>, bool) {
    let mut errors = Vec::new();
    let mut failed = false;
    for part in files {
        let Some(upload_name) = part.filename.as_deref() else {
            continue;
        };
        let mut filename = if upload_name.starts_with('/') {
            upload_name.to_string()
        } else {
            format!("/{upload_name}")
        };
        if let Some(rpath) = args.get("rpath") {
            let joined = format!("{rpath}{filename}");
            filename = if joined.starts_with('/') {
                joined
            } else {
                format!("/{joined}")
            };
        }
        // The firmware removes the old file before anything else.
        if vol.stat(&filename).is_ok_and(|e| !e.is_dir) {
            let _ = vol.delete(&filename);
        }
        if args.get("createPath") == Some("true") {
            let path = args.get("path").unwrap_or("");
            let mut built = String::new();
            for component in path.split('/').filter(|c| !c.is_empty()) {
                built = format!("{built}/{component}");
                if vol.stat(&built).is_err() {
                    let _ = vol.mkdir(&built, now);
                }
            }
        }
        let result = upload_one(vol, now, args, upload_name, &filename, part);
        if let Err(e) = result {
            errors.push(e);
        }
        failed = result.is_err();
    }
    (errors, failed)
}

fn upload_one(
    vol: &mut Volume,
    now: SimTime,
    args: &Args,
    upload_name: &str,
    filename: &str,
    part: &Part,
) -> Result<(), PushedError> {
    let announced = args.get(&format!("{upload_name}S"));
    if let Some(size) = announced {
        if vol.free() < super::settings::to_int(size).max(0) as u64 {
            return Err(NOT_ENOUGH_SPACE);
        }
    }
    match vol.check_write(filename, 0) {
        Err(VolumeError::NoSpace { .. }) | Ok(()) => {}
        Err(_) => return Err(FILE_CREATION),
    }
    if announced.is_some_and(|size| size != part.data.len().to_string()) {
        return Err(SIZE);
    }
    vol.write(filename, part.data.to_vec(), now).map_err(|_| FILE_WRITE)
}

/// Removes `path` and everything under it.
fn remove_tree(vol: &mut Volume, path: &str) -> Result<(), VolumeError> {
    for entry in vol.list(path)? {
        let child = format!("{}/{}", path.trim_end_matches('/'), entry.name);
        if entry.is_dir {
            remove_tree(vol, &child)?;
        } else {
            vol.delete(&child)?;
        }
    }
    vol.rmdir(path)
}

/// The listing route: runs `action` if any, then answers the JSON listing of `path` (or the `quiet` status).
pub fn list(fs: Fs, vol: &mut Volume, now: SimTime, args: &Args, upload_failed: bool) -> String {
    let mut status = if upload_failed {
        "Upload failed".to_string()
    } else {
        "ok".to_string()
    };
    if args.get("quiet") == Some("yes") {
        return format!("{{\"status\":\"{}\"}}", escape(&status));
    }
    let mut path = args.get("path").unwrap_or("").trim().replace("//", "/");
    if !path.ends_with('/') {
        path.push('/');
    }
    if let (Some(action), Some(name)) = (args.get("action"), args.get("filename")) {
        let short = name.replace('/', "");
        match action {
            "delete" => {
                let target = format!("{path}{name}").replace("//", "/");
                status = match vol.stat(&target) {
                    Err(_) => format!("{short} does not exists!"),
                    Ok(_) if vol.delete(&target).is_ok() => format!("{short} deleted"),
                    Ok(_) => format!("Cannot deleted {short}"),
                };
            }
            "deletedir" => {
                let target = format!("{path}{name}/").replace("//", "/");
                if target != "/" {
                    status = match vol.stat(&target) {
                        Ok(e) if e.is_dir && remove_tree(vol, &target).is_ok() => format!("{short} deleted"),
                        _ => format!("Cannot deleted {short}"),
                    };
                }
            }
            "createdir" => {
                let target = format!("{path}{name}").replace("//", "/");
                status = if vol.stat(&target).is_ok() {
                    format!("{short} already exists!")
                } else if vol.mkdir(&target, now).is_ok() {
                    format!("{short} created")
                } else {
                    format!("Cannot create {short}")
                };
            }
            _ => {}
        }
    }
    let dir = if path != "/" {
        &path[..path.len() - 1]
    } else {
        path.as_str()
    };
    let mut entries = Vec::new();
    match vol.list(dir) {
        Ok(list) => {
            for e in list {
                let name = escape(&e.name);
                let size = if e.is_dir {
                    "-1".to_string()
                } else {
                    format_bytes(e.size)
                };
                entries.push(match fs {
                    Fs::Flash => format!("{{\"name\":\"{name}\",\"size\":\"{size}\"}}"),
                    Fs::Sd => format!("{{\"name\":\"{name}\",\"shortname\":\"{name}\",\"size\":\"{size}\"}}"),
                });
            }
        }
        Err(_) => {
            let missing = format!("{dir} does not exists!");
            status = if status == "ok" {
                missing
            } else {
                format!("{status}, {missing}")
            };
        }
    }
    let (used, total) = (vol.used(), vol.capacity());
    let occupation = match fs {
        Fs::Flash => used.saturating_mul(100).checked_div(total).unwrap_or(0),
        Fs::Sd if total == 0 => 0,
        Fs::Sd => {
            let percent = 100.0 * used as f64 / total as f64;
            if percent < 1.0 && used > 0 {
                1
            } else {
                percent.round() as u64
            }
        }
    };
    format!(
        "{{\"files\":[{}],\"path\":\"{}\",\"occupation\":\"{occupation}\",\"status\":\"{}\",\"total\":\"{}\",\"used\":\"{}\"}}",
        entries.join(","),
        escape(&path),
        escape(&status),
        format_bytes(total),
        format_bytes(used)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    const T: SimTime = SimTime::from_millis(5);

    fn args(pairs: &[(&str, &str)]) -> Args {
        Args(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    fn file(name: &str, data: &'static [u8]) -> Part {
        Part {
            name: "myfiles".into(),
            filename: Some(name.into()),
            data: Bytes::from_static(data),
        }
    }

    #[test]
    fn an_empty_flash_lists_as_the_firmware_writes_it() {
        let mut flash = Volume::new(1_376_256, 64);
        assert_eq!(
            list(
                Fs::Flash,
                &mut flash,
                T,
                &args(&[("path", "/"), ("action", "list")]),
                false
            ),
            r#"{"files":[],"path":"/","occupation":"0","status":"ok","total":"1.31 MB","used":"0 B"}"#
        );
        assert_eq!(
            list(Fs::Flash, &mut flash, T, &args(&[("quiet", "yes")]), true),
            r#"{"status":"Upload failed"}"#
        );
    }

    #[test]
    fn uploads_then_lists_with_sizes_and_shortnames() {
        let mut sd = Volume::new(4 << 30, 255);
        let a = args(&[("path", "/"), ("/probe-sd.gcodeS", "20")]);
        let (errors, failed) = upload(&mut sd, T, &a, &[file("/probe-sd.gcode", b"G28\nG1 X10 Y10\nM105\n")]);
        assert_eq!((errors, failed), (vec![], false));
        assert_eq!(
            list(Fs::Sd, &mut sd, T, &a, failed),
            r#"{"files":[{"name":"probe-sd.gcode","shortname":"probe-sd.gcode","size":"20 B"}],"path":"/","occupation":"1","status":"ok","total":"4.00 GB","used":"20 B"}"#
        );
    }

    #[test]
    fn refused_uploads_push_the_firmwares_errors_and_leave_no_file() {
        let mut flash = Volume::new(100, 16);
        type Case<'a> = (&'a [(&'a str, &'a str)], Part, PushedError);
        let cases: [Case; 4] = [
            (&[("/a.gS", "101")], file("/a.g", b"x"), NOT_ENOUGH_SPACE),
            (&[("/a.gS", "2")], file("/a.g", b"x"), SIZE),
            (&[], file("/../a.g", b"x"), FILE_CREATION),
            (&[], file("/a-name-that-is-too-long.g", b"x"), FILE_CREATION),
        ];
        for (pairs, part, expected) in cases {
            let (errors, failed) = upload(&mut flash, T, &args(pairs), &[part]);
            assert_eq!((errors, failed), (vec![expected], true));
            assert_eq!(flash.used(), 0);
        }
        let (errors, _) = upload(&mut flash, T, &args(&[]), &[file("/big.g", &[0; 101])]);
        assert_eq!(errors, [FILE_WRITE]);
        let listing = list(Fs::Flash, &mut flash, T, &args(&[]), true);
        assert!(listing.contains(r#""status":"Upload failed""#), "{listing}");
    }

    #[test]
    fn actions_answer_with_the_firmwares_status_texts() {
        let mut sd = Volume::new(10_000, 64);
        let run = |sd: &mut Volume, pairs: &[(&str, &str)]| {
            let json: serde_json::Value = serde_json::from_str(&list(Fs::Sd, sd, T, &args(pairs), false)).unwrap();
            json["status"].as_str().unwrap().to_string()
        };
        assert_eq!(
            run(
                &mut sd,
                &[("path", "/"), ("action", "createdir"), ("filename", "gcodes")]
            ),
            "gcodes created"
        );
        assert_eq!(
            run(
                &mut sd,
                &[("path", "/"), ("action", "createdir"), ("filename", "gcodes")]
            ),
            "gcodes already exists!"
        );
        assert_eq!(
            run(
                &mut sd,
                &[("path", "/"), ("action", "createdir"), ("filename", "../up")]
            ),
            "Cannot create ..up"
        );
        upload(&mut sd, T, &args(&[]), &[file("/gcodes/cube.g", b"G28\n")]);
        assert_eq!(
            run(
                &mut sd,
                &[("path", "/gcodes"), ("action", "delete"), ("filename", "nope.g")]
            ),
            "nope.g does not exists!"
        );
        assert_eq!(
            run(
                &mut sd,
                &[("path", "/gcodes/"), ("action", "delete"), ("filename", "../../x")]
            ),
            "....x does not exists!"
        );
        assert_eq!(
            run(
                &mut sd,
                &[("path", "/"), ("action", "deletedir"), ("filename", "gcodes")]
            ),
            "gcodes deleted"
        );
        assert_eq!(sd.used(), 0);
        assert_eq!(run(&mut sd, &[("path", "/missing")]), "/missing does not exists!");
    }
}
