//! The printer end to end through its serial interface: exact Marlin lines for every command family,
//! flow control and timing, SD printing and the job view, faults, determinism and long time jumps.

use super::*;
use proptest::prelude::*;

fn at(ms: u64) -> SimTime {
    SimTime::from_millis(ms)
}

fn printer() -> Printer {
    Printer::new(PrinterConfig::default(), 7, "printer")
}

/// Sends `line` at `ms` and returns what came out.
fn send(p: &mut Printer, ms: u64, line: &str) -> String {
    p.submit_line(at(ms), line);
    String::from_utf8(p.take_output()).unwrap()
}

/// Advances to `ms` and returns what came out.
fn run(p: &mut Printer, ms: u64) -> String {
    p.advance(at(ms));
    String::from_utf8(p.take_output()).unwrap()
}

/// `N<n> <body>*<checksum>` as a host numbers its lines.
fn numbered(n: i64, body: &str) -> String {
    let line = format!("N{n} {body}");
    format!("{line}*{}", line::checksum(line.as_bytes()))
}

/// A printer homed at 0, 0, 0 at 10 s.
fn homed() -> Printer {
    let mut p = printer();
    send(&mut p, 0, "G28");
    assert!(run(&mut p, 10_001).ends_with("X:0.00 Y:0.00 Z:0.00 E:0.00 Count X:0 Y:0 Z:0\nok\n"));
    p
}

fn oks(s: &str) -> usize {
    s.lines().filter(|l| *l == "ok").count()
}

#[test]
fn m105_answers_ok_and_the_heater_states() {
    let mut p = printer();
    assert_eq!(send(&mut p, 1_000, "M105"), "ok T:22.00 /0.00 B:21.91 /0.00 @:0 B@:0\n");
    send(&mut p, 1_000, "M104 S200");
    let line = send(&mut p, 31_000, "M105");
    let t: f64 = line
        .split("T:")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(t > 100.0 && t < 200.0, "{line}");
    assert!(
        line.contains(" /200.00 B:") && line.ends_with(" @:127 B@:0\n"),
        "{line}"
    );
}

#[test]
fn moves_before_homing_are_refused_with_the_axes_named() {
    let mut p = printer();
    assert_eq!(send(&mut p, 0, "G1 X10"), "echo:Home X First\nok\n");
    assert_eq!(send(&mut p, 0, "G0 Z5 X1 F3000"), "echo:Home XZ First\nok\n");
    // E alone needs no homing, but a cold hotend refuses to extrude.
    assert_eq!(send(&mut p, 0, "G1 E5"), "echo: cold extrusion prevented\nok\n");
    assert_eq!(
        send(&mut p, 0, "M114"),
        "X:0.00 Y:0.00 Z:0.00 E:5.00 Count X:0 Y:0 Z:0\nok\n"
    );
}

#[test]
fn g28_keeps_the_host_alive_then_reports_the_home_position() {
    let mut p = printer();
    // From the rest position (110, 110, 10) homing takes 2.5 + 2.5 + 5 s.
    assert_eq!(send(&mut p, 0, "G28"), "echo:busy: processing\n");
    assert_eq!(send(&mut p, 100, "M114"), "");
    assert_eq!(run(&mut p, 9_999), "echo:busy: processing\n".repeat(4));
    assert_eq!(
        run(&mut p, 10_001),
        "X:0.00 Y:0.00 Z:0.00 E:0.00 Count X:0 Y:0 Z:0\nok\nX:0.00 Y:0.00 Z:0.00 E:0.00 Count X:0 Y:0 Z:0\nok\n"
    );
    assert_eq!(send(&mut p, 10_001, "G1 X10"), "ok\n");
}

#[test]
fn positions_follow_absolute_relative_and_g92_and_stay_on_the_bed() {
    let mut p = homed();
    let m114 = |p: &mut Printer| send(p, 20_000, "M114");
    send(&mut p, 10_001, "G1 X10 Y20 Z5 F6000");
    assert_eq!(
        m114(&mut p),
        "X:10.00 Y:20.00 Z:5.00 E:0.00 Count X:800 Y:1600 Z:2000\nok\n"
    );
    send(&mut p, 20_000, "G92 X0 E10");
    assert_eq!(
        m114(&mut p),
        "X:0.00 Y:20.00 Z:5.00 E:10.00 Count X:800 Y:1600 Z:2000\nok\n"
    );
    send(&mut p, 20_000, "G91");
    send(&mut p, 20_000, "G1 X5 Z-100");
    assert_eq!(
        m114(&mut p),
        "X:5.00 Y:20.00 Z:0.00 E:10.00 Count X:1200 Y:1600 Z:0\nok\n"
    );
    send(&mut p, 20_000, "G90");
    send(&mut p, 20_000, "G1 X1000 Y-3");
    // The soft endstops bound the native position: X 220 is logical 210 after G92 shifted X by -10.
    assert_eq!(
        m114(&mut p),
        "X:210.00 Y:0.00 Z:0.00 E:10.00 Count X:17600 Y:0 Z:0\nok\n"
    );
    // The job's Z follows executed moves and homing.
    send(&mut p, 20_000, "G1 Z7");
    run(&mut p, 30_000);
    assert_eq!(p.job().current_z, 7.0);
    send(&mut p, 30_000, "G28 Z");
    run(&mut p, 60_000);
    assert_eq!(p.job().current_z, 0.0);
    assert!(p.motion.native[0] <= 220.0);
}

#[test]
fn a_move_takes_its_trapezoid_and_m400_waits_for_it() {
    let mut p = homed();
    // 100 mm at 100 mm/s, 3000 mm/s^2, from and to 10 mm/s: 0.06 s of ramps + 96.7 mm cruising.
    assert_eq!(send(&mut p, 20_000, "G1 X100 F6000"), "ok\n");
    // The last busy line was more than 2 s ago: M400 sends one at once (`host_keepalive`).
    assert_eq!(send(&mut p, 20_000, "M400"), "echo:busy: processing\n");
    assert_eq!(run(&mut p, 21_026), "");
    assert_eq!(run(&mut p, 21_028), "ok\n");
    assert_eq!(p.job().current_z, 0.0);
}

#[test]
fn the_planner_holds_sixteen_moves_and_oks_wait_for_a_free_slot() {
    let mut p = homed();
    let mut out = String::new();
    for i in 1..=20 {
        out += &send(&mut p, 20_000, &format!("G1 X{} F6000", i * 10));
    }
    // 10 mm moves take 127 ms each: the 17th is answered when the first ends.
    assert_eq!(oks(&out), motion::BLOCK_BUFFER_SIZE);
    assert_eq!(oks(&run(&mut p, 20_126)), 0);
    assert_eq!(oks(&run(&mut p, 20_128)), 1);
    assert_eq!(oks(&run(&mut p, 20_000 + 4 * 127 + 1)), 3);
}

#[test]
fn line_numbers_and_checksums_get_marlins_errors_and_resends() {
    let mut p = printer();
    assert_eq!(send(&mut p, 0, "N0 M110 N0*125"), "ok\n");
    assert_eq!(send(&mut p, 0, &numbered(1, "M117 hi")), "ok\n");
    assert_eq!(
        send(&mut p, 0, "N2 M117 hi*1"),
        "Error:checksum mismatch, Last Line: 1\nResend: 2\nok\n"
    );
    assert_eq!(
        send(&mut p, 0, "N2 M117 hi"),
        "Error:No Checksum with line number, Last Line: 1\nResend: 2\nok\n"
    );
    assert_eq!(
        send(&mut p, 0, &numbered(5, "M117 hi")),
        "Error:Line Number is not Last Line Number+1, Last Line: 1\nResend: 2\nok\n"
    );
    assert_eq!(send(&mut p, 0, &numbered(2, "M117 again")), "ok\n");
    assert_eq!(p.status_message(), "again");
    assert_eq!(send(&mut p, 0, "M110 N100"), "ok\n");
    assert_eq!(send(&mut p, 0, &numbered(101, "M105")).lines().count(), 1);
    // Comments and blank lines get no answer at all.
    assert_eq!(send(&mut p, 0, "; a comment"), "");
    assert_eq!(send(&mut p, 0, ""), "");
}

#[test]
fn anything_else_is_an_unknown_command_quoted_as_sent() {
    let mut p = printer();
    assert_eq!(send(&mut p, 0, "G999 X1"), "echo:Unknown command: \"G999 X1\"\nok\n");
    assert_eq!(send(&mut p, 0, "hello"), "echo:Unknown command: \"hello\"\nok\n");
    assert_eq!(
        send(&mut p, 0, &numbered(1, "M9999")),
        "echo:Unknown command: \"M9999\"\nok\n"
    );
    assert_eq!(send(&mut p, 0, "T1"), "echo:T1 Invalid extruder\nok\n");
    assert_eq!(send(&mut p, 0, "T0"), "ok\n");
    assert_eq!(send(&mut p, 0, "M104 T1 S200"), "echo:M104 Invalid extruder 1\nok\n");
    assert_eq!(p.temperatures().hotend_target, 0.0);
    assert_eq!(send(&mut p, 0, "M105 T2"), "echo:M105 Invalid extruder 2\n");
}

#[test]
fn m118_prints_its_text_with_the_echo_and_action_prefixes() {
    let mut p = printer();
    assert_eq!(send(&mut p, 0, "M118 [ESP600]Hello"), "[ESP600]Hello\nok\n");
    assert_eq!(send(&mut p, 0, "M118 E1 heating done"), "echo:heating done\nok\n");
    assert_eq!(send(&mut p, 0, "M118 A1 P0 action:pause"), "//action:pause\nok\n");
    assert_eq!(send(&mut p, 0, "M118 E1 A1 both"), "echo://both\nok\n");
    assert_eq!(send(&mut p, 0, "M118 Edge"), "Edge\nok\n", "only E1 is a flag");
}

#[test]
fn m115_names_the_firmware_and_lists_capabilities() {
    let mut p = printer();
    let out = send(&mut p, 0, "M115");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "FIRMWARE_NAME:Marlin 2.1.2.1 (Jan 11 2024 12:00:00) SOURCE_CODE_URL:github.com/MarlinFirmware/Marlin \
         PROTOCOL_VERSION:1.0 MACHINE_TYPE:3D Printer EXTRUDER_COUNT:1 UUID:cede2a2f-41a2-4748-9b12-c55c62f367ff"
    );
    assert_eq!(lines.len(), 1 + texts::CAPABILITIES.len() + 1);
    for cap in [
        "Cap:AUTOREPORT_TEMP:1",
        "Cap:SDCARD:1",
        "Cap:AUTOREPORT_SD_STATUS:1",
        "Cap:EMERGENCY_PARSER:0",
    ] {
        assert!(lines.contains(&cap), "{cap}");
    }
    assert_eq!(lines.last(), Some(&"ok"));
}

#[test]
fn m109_reports_every_second_and_answers_after_the_residency() {
    let mut p = printer();
    let first = send(&mut p, 0, "M109 S200");
    assert_eq!(first, format!("{} W:?\n", p.heater_states(0)));
    let out = first + &run(&mut p, 200_000);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.last(), Some(&"ok"));
    assert!(!out.contains("busy"));
    let reports = &lines[..lines.len() - 1];
    assert!(
        reports
            .iter()
            .all(|l| l.starts_with(" T:") && l.contains(" /200.00 B:"))
    );
    // About a minute of "W:?" while heating, then the 10 s countdown.
    let heating = reports.iter().filter(|l| l.ends_with(" W:?")).count();
    assert!((55..65).contains(&heating), "{heating}");
    let countdown: Vec<&str> = reports
        .iter()
        .filter_map(|l| l.rsplit_once(" W:").map(|(_, w)| w))
        .filter(|w| *w != "?")
        .collect();
    assert_eq!(countdown, ["9", "8", "7", "6", "5", "4", "3", "2", "1", "0"]);
    // Already hot: the first loop adds a third of the residency.
    let again = send(&mut p, 200_000, "M109 S200") + &run(&mut p, 300_000);
    assert!(again.lines().next().unwrap().ends_with(" W:13"), "{again}");
    assert_eq!(oks(&again), 1);
    // S never waits to cool.
    assert_eq!(send(&mut p, 300_000, "M109 S150"), "ok\n");
}

#[test]
fn the_bed_takes_a_few_minutes_and_m190_holds_the_queue() {
    let mut p = printer();
    send(&mut p, 0, "M190 S60");
    assert_eq!(send(&mut p, 0, "M117 after"), "");
    assert_eq!(p.status_message(), "");
    let out = run(&mut p, 400_000);
    let reports = out.lines().filter(|l| l.contains(" W:")).count();
    assert!((150..250).contains(&reports), "{reports}");
    assert_eq!(p.status_message(), "after");
    assert_eq!(oks(&out), 2);
    let t = p.temperatures();
    assert!((t.bed - 60.0).abs() < 0.5 && t.bed_target == 60.0, "{t:?}");
}

#[test]
fn m155_auto_reports_until_turned_off() {
    let mut p = printer();
    assert_eq!(send(&mut p, 0, "M155 S2"), "ok\n");
    let out = run(&mut p, 5_000);
    assert_eq!(out.lines().count(), 2);
    assert!(
        out.lines().all(|l| l.starts_with(" T:") && l.ends_with(" @:0 B@:0")),
        "{out}"
    );
    send(&mut p, 5_000, "M155 S0");
    assert_eq!(run(&mut p, 60_000), "");
}

#[test]
fn fan_feedrate_flow_message_and_progress() {
    let mut p = printer();
    assert_eq!(send(&mut p, 0, "M106 S128"), "ok\n");
    assert_eq!(p.fan_speed(), 128);
    send(&mut p, 0, "M106");
    assert_eq!(p.fan_speed(), 255);
    send(&mut p, 0, "M107");
    assert_eq!(p.fan_speed(), 0);
    assert_eq!(send(&mut p, 0, "M220"), "echo:FR:100%\nok\n");
    send(&mut p, 0, "M220 S150");
    assert_eq!(send(&mut p, 0, "M220"), "echo:FR:150%\nok\n");
    assert_eq!(send(&mut p, 0, "M221"), "echo:E0 Flow: 100%\nok\n");
    send(&mut p, 0, "M221 S5");
    assert_eq!(send(&mut p, 0, "M221"), "echo:E0 Flow: 10%\nok\n");
    assert_eq!(send(&mut p, 0, "M117 Printing cube"), "ok\n");
    assert_eq!(p.status_message(), "Printing cube");
    send(&mut p, 0, "M73 P42 R7");
    assert_eq!(p.job().progress_percent, Some(42));
}

#[test]
fn the_card_lists_mounts_opens_and_reports() {
    let mut p = printer();
    p.sd_mut().write("cube.gcode", b"G28\nM105\n".to_vec(), at(0)).unwrap();
    p.sd_mut().write("b.gco", b"G28".to_vec(), at(0)).unwrap();
    p.sd_mut().write("readme.txt", b"hi".to_vec(), at(0)).unwrap();
    assert_eq!(
        send(&mut p, 0, "M20"),
        "Begin file list\nb.gco 3\ncube.gcode 9\nEnd file list\nok\n"
    );
    assert_eq!(send(&mut p, 0, "M22"), "echo:SD card released\nok\n");
    assert_eq!(send(&mut p, 0, "M20"), "echo:No media\nok\n");
    assert_eq!(send(&mut p, 0, "M21"), "echo:SD card ok\nok\n");
    assert_eq!(
        send(&mut p, 0, "M23 nope.gco"),
        "echo:Now fresh file: nope.gco\nopen failed, File: nope.gco.\nok\n"
    );
    assert_eq!(
        send(&mut p, 0, "M23 /cube.gcode 9"),
        "echo:Now fresh file: /cube.gcode\nFile opened: cube.gcode Size: 9\nFile selected\nok\n"
    );
    assert_eq!(send(&mut p, 0, "M27"), "Not SD printing\nok\n");
    // The print starts with G28 at once.
    assert_eq!(send(&mut p, 0, "M24"), "ok\necho:busy: processing\n");
    // M27 waits behind the card's G28, then comes before the card's next line.
    assert_eq!(send(&mut p, 1, "M27"), "");
    let out = run(&mut p, 20_000);
    assert!(
        out.contains("X:0.00 Y:0.00 Z:0.00 E:0.00 Count X:0 Y:0 Z:0\nSD printing byte 4/9\nok\nok T:"),
        "{out}"
    );
    assert!(out.ends_with("Done printing file\n"), "{out}");
    assert_eq!(send(&mut p, 20_000, "M27"), "Not SD printing\nok\n");
    assert_eq!(send(&mut p, 20_000, "M30 b.gco"), "File deleted:b.gco\nok\n");
    assert_eq!(send(&mut p, 20_000, "M30 b.gco"), "Deletion failed, File: b.gco.\nok\n");
}

#[test]
fn m28_writes_numbered_lines_to_the_card_until_m29() {
    let mut p = printer();
    assert_eq!(
        send(&mut p, 0, &numbered(1, "M28 up.gco")),
        "echo:Now fresh file: up.gco\nWriting to file: up.gco\nok\n"
    );
    assert_eq!(p.sd().read("up.gco").unwrap(), b"");
    assert_eq!(send(&mut p, 0, &numbered(2, "G28")), "ok\n");
    assert_eq!(send(&mut p, 0, &numbered(3, "G1 X5")), "ok\n");
    assert_eq!(
        send(&mut p, 0, "G1 X6"),
        "Error:No Checksum with line number, Last Line: 3\nResend: 4\nok\n"
    );
    // Nothing was executed: the printer is not homing.
    assert!(p.wait.is_none());
    assert_eq!(send(&mut p, 0, &numbered(4, "M29")), "Done saving file.\nok\n");
    assert_eq!(p.sd().read("up.gco").unwrap(), b"G28\r\nG1 X5\r\n");
    assert_eq!(
        send(&mut p, 0, "M28 ../x.gco"),
        "echo:Now fresh file: ../x.gco\nopen failed, File: x.gco.\nok\n"
    );
}

#[test]
fn a_card_print_runs_through_the_planner_and_the_job_view_follows() {
    let mut p = printer();
    let file = "; cube\nM109 S200\nG28\nG1 Z0.2 F600\nG1 X10 Y10 E1 F1200\nG1 X20 Y10 E2\nG1 Z0.4\n\
                G1 X20 Y20 E3\nG1 X10 Y20 E2.5\nM400\n";
    p.sd_mut().write("cube.gcode", file.as_bytes().to_vec(), at(0)).unwrap();
    assert_eq!(p.job().state, JobState::Idle);
    let size = file.len() as u64;
    p.start_print(at(1_000), "cube.gcode").unwrap();
    // The card's M109 reports at once.
    assert_eq!(
        String::from_utf8(p.take_output()).unwrap(),
        format!(
            "echo:Now fresh file: cube.gcode\nFile opened: cube.gcode Size: {size}\nFile selected\n\
             {} W:?\n",
            p.heater_states(1_000)
        )
    );
    assert_eq!(p.start_print(at(1_000), "cube.gcode"), Err(PrinterError::Busy));
    let early = run(&mut p, 30_000);
    assert!(early.lines().all(|l| l.contains(" W:")), "{early}");
    let job = p.job();
    assert_eq!(
        (job.state, job.file.as_deref(), job.bytes_total),
        (JobState::Printing, Some("cube.gcode"), size)
    );
    assert_eq!(job.elapsed_ms, 29_000);
    assert!(job.bytes_done > 0 && job.estimated_left_ms.is_some());
    let out = run(&mut p, 200_000);
    assert!(out.contains("echo:Print time: 1m "), "{out}");
    assert!(out.ends_with("Done printing file\n"), "{out}");
    let job = p.job();
    assert_eq!(job.state, JobState::Idle);
    assert_eq!((job.bytes_done, job.layer), (size, 2));
    assert!(
        (job.filament_mm - 2.5).abs() < 1e-9 && (job.current_z - 0.4).abs() < 1e-9,
        "{job:?}"
    );
    // The steppers were released: homing is needed again.
    assert_eq!(send(&mut p, 200_000, "G1 X1"), "echo:Home X First\nok\n");
}

/// A homed printer printing a long file of travel moves from 10 s, after `before` from the host.
fn long_print(before: &[&str]) -> Printer {
    let mut p = homed();
    for line in before {
        send(&mut p, 10_001, line);
    }
    let mut file = String::from("M104 S200\n");
    for i in 0..400 {
        file += &format!("G1 X{} Y{} F3000\n", (i % 2) * 20 + 10, (i % 3) * 10 + 10);
    }
    p.sd_mut().write("long.gcode", file.into_bytes(), at(0)).unwrap();
    p.start_print(at(10_001), "long.gcode").unwrap();
    p.take_output();
    p
}

#[test]
fn pause_resume_and_cancel_from_gcode_and_host_actions() {
    let mut p = long_print(&[]);
    run(&mut p, 20_000);
    // The host's M25 is read when the card's blocked move is queued.
    assert_eq!(send(&mut p, 20_000, "M25"), "");
    // While the card prints, the blocked moves keep the host alive with busy lines.
    assert_eq!(run(&mut p, 20_200).replace("echo:busy: processing\n", ""), "ok\n");
    assert_eq!(p.job().state, JobState::Paused);
    let frozen = (p.job().bytes_done, p.job().elapsed_ms);
    assert!((10_000..10_300).contains(&frozen.1), "{frozen:?}");
    run(&mut p, 60_000);
    assert_eq!((p.job().bytes_done, p.job().elapsed_ms), frozen);
    assert_eq!(p.pause(at(60_000)), Err(PrinterError::NotPrinting("pause")));
    p.resume(at(60_000)).unwrap();
    assert_eq!(p.job().state, JobState::Printing);
    run(&mut p, 61_000);
    assert!(p.job().bytes_done > frozen.0);
    p.cancel(at(61_000)).unwrap();
    let job = p.job();
    assert_eq!(job.state, JobState::Cancelled);
    assert!(p.planner.is_empty() && p.temperatures().hotend_target == 0.0);
    assert_eq!(send(&mut p, 61_000, "M27"), "Not SD printing\nok\n");
    assert_eq!(p.cancel(at(61_000)), Err(PrinterError::NotPrinting("cancel")));
    // The same through G-code: M23/M24, then M524.
    send(&mut p, 61_000, "M23 long.gcode");
    send(&mut p, 61_000, "M24");
    assert_eq!(p.job().state, JobState::Printing);
    send(&mut p, 62_000, "M524");
    run(&mut p, 63_000);
    assert_eq!(p.job().state, JobState::Cancelled);
}

#[test]
fn m27_s_auto_reports_the_card() {
    let mut p = long_print(&["M27 S1"]);
    let out = run(&mut p, 13_001);
    let reports: Vec<&str> = out.lines().filter(|l| l.starts_with("SD printing byte ")).collect();
    assert_eq!(reports.len(), 3, "{out}");
    assert!(reports[0].ends_with(&format!("/{}", p.job().bytes_total)));
}

#[test]
fn heater_faults_print_marlins_errors_and_halt_until_reset() {
    let mut p = printer();
    send(&mut p, 0, "M104 S200");
    p.inject_fault(at(5_000), Fault::ThermalRunaway(HeaterId::Hotend));
    assert_eq!(
        String::from_utf8(p.take_output()).unwrap(),
        "Error:Thermal Runaway, system stopped! Heater_ID: E0\n\nError:Printer halted. kill() called!\n"
    );
    assert!(p.is_halted());
    assert_eq!(p.job().state, JobState::Error);
    assert_eq!(send(&mut p, 6_000, "M105"), "");
    assert_eq!(p.next_deadline(), None);
    assert_eq!(p.temperatures().hotend_target, 0.0);
    p.reset(at(7_000));
    assert_eq!(String::from_utf8(p.take_output()).unwrap(), "start\n");
    assert!(send(&mut p, 7_000, "M105").starts_with("ok T:"));

    p.inject_fault(at(8_000), Fault::MinTemp(HeaterId::Bed));
    assert_eq!(
        String::from_utf8(p.take_output()).unwrap(),
        "Error:MINTEMP triggered, system stopped! Heater_ID: bed\nError:Printer halted. kill() called!\n"
    );
    p.reset(at(9_000));
    p.take_output();
    p.inject_fault(at(9_000), Fault::MaxTemp(HeaterId::Hotend));
    assert!(
        String::from_utf8(p.take_output())
            .unwrap()
            .starts_with("Error:MAXTEMP triggered, system stopped!")
    );
}

#[test]
fn m112_kills_when_it_is_read() {
    let mut p = long_print(&[]);
    // Without EMERGENCY_PARSER the line waits behind the card's blocked move.
    assert_eq!(send(&mut p, 12_000, "M112"), "");
    assert!(run(&mut p, 13_000).ends_with("\nError:Printer halted. kill() called!\n"));
    assert_eq!(p.job().state, JobState::Error);
    assert!(p.planner.is_empty());
    assert_eq!(p.start_print(at(13_000), "long.gcode"), Err(PrinterError::Halted));
}

/// A session touching every subsystem, for the determinism checks.
fn session(seed: u64) -> Vec<u8> {
    let mut p = Printer::new(PrinterConfig::default(), seed, "printer");
    p.sd_mut()
        .write("a.gcode", b"M104 S210\nG28\nG1 X50 Y50 F3000\nM105\n".to_vec(), at(0))
        .unwrap();
    let mut out = Vec::new();
    for (ms, line) in [
        (0, "M155 S1"),
        (500, "M140 S60"),
        (1_000, "M20"),
        (2_000, "G28"),
        (20_000, "M105"),
    ] {
        p.submit_line(at(ms), line);
        out.extend(p.take_output());
    }
    p.start_print(at(21_000), "a.gcode").unwrap();
    p.advance(at(120_000));
    out.extend(p.take_output());
    out
}

#[test]
fn same_seed_and_inputs_give_identical_bytes() {
    let a = session(42);
    assert_eq!(a, session(42));
    assert_ne!(a, session(43));
    assert!(a.len() > 1_000);
}

#[test]
fn thirty_days_in_one_jump_is_fast_and_bounded() {
    let mut p = printer();
    send(&mut p, 0, "M155 S1");
    send(&mut p, 0, "M104 S200");
    let started = std::time::Instant::now();
    let month = 30 * 24 * 3_600 * 1_000;
    p.advance(at(month));
    let out = p.take_output();
    assert!(started.elapsed().as_secs_f64() < 2.0, "{:?}", started.elapsed());
    assert!(!out.is_empty() && out.len() <= output::OUTPUT_CAP);
    let text = String::from_utf8(out).unwrap();
    let last = text.lines().last().unwrap();
    assert!(last.starts_with(" T:200") || last.starts_with(" T:199"), "{last}");
    assert_eq!(p.next_deadline(), Some(at(month + 1_000)));
    // A day of dwell costs no more.
    send(&mut p, month, "G4 S86400");
    p.advance(at(month + 86_400_000 + 1));
    assert!(p.take_output().len() <= output::OUTPUT_CAP);
    assert!(p.wait.is_none());
}

fn gcode_line() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("G0"),
        Just("G1"),
        Just("G28"),
        Just("G90"),
        Just("G91"),
        Just("G92"),
        Just("G4"),
        Just("M82"),
        Just("M83"),
        Just("M104"),
        Just("M109"),
        Just("M140"),
        Just("M190"),
        Just("M105"),
        Just("M106"),
        Just("M110"),
        Just("M114"),
        Just("M155"),
        Just("M220"),
        Just("M221"),
        Just("M400"),
        Just("M20"),
        Just("M23 a.gcode"),
        Just("M24"),
        Just("M25"),
        Just("M26"),
        Just("M27"),
        Just("M28 w.gco"),
        Just("M29"),
        Just("M30 a.gcode"),
        Just("M524"),
        Just("M84"),
        Just("M117 x"),
        Just("N1"),
        Just("T1"),
        Just("X"),
    ];
    let param = ("[XYZEFSPRN]", -1e4f64..1e4).prop_map(|(l, v)| format!(" {l}{v:.2}"));
    (
        word,
        proptest::collection::vec(param, 0..4),
        proptest::option::of(0u8..=255),
    )
        .prop_map(|(w, ps, cs)| {
            let line = format!("{w}{}", ps.concat());
            match cs {
                Some(c) => format!("{line}*{c}"),
                None => line,
            }
        })
}

fn check_invariants(p: &Printer) {
    for i in 0..3 {
        assert!(
            (0.0..=p.cfg.build_volume[i]).contains(&p.motion.native[i]),
            "{:?}",
            p.motion.native
        );
    }
    assert!(p.sd().used() <= p.sd().capacity());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_gcode_never_panics_and_keeps_the_invariants(lines in proptest::collection::vec((gcode_line(), 0u64..5_000), 1..40)) {
        let mut p = Printer::new(PrinterConfig { sd_capacity: 4_096, ..PrinterConfig::default() }, 1, "printer");
        p.sd_mut().write("a.gcode", b"G28\nG1 X300 Y-5 Z9 E3\nM109 S180\nG1 E-2\n".to_vec(), at(0)).unwrap();
        let mut t = 0;
        for (line, dt) in lines {
            t += dt;
            p.submit_line(at(t), &line);
            check_invariants(&p);
        }
        p.advance(at(t + 600_000));
        check_invariants(&p);
        let out = p.take_output();
        prop_assert!(out.is_empty() || out.ends_with(b"\n"));
    }

    #[test]
    fn random_bytes_never_panic(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..120), 1..30)) {
        let mut p = printer();
        for (i, bytes) in chunks.iter().enumerate() {
            p.submit_line(at(i as u64 * 700), &String::from_utf8_lossy(bytes));
            check_invariants(&p);
        }
        p.advance(at(3_600_000));
        check_invariants(&p);
        // The same bytes as a file printed from the card.
        p.sd_mut().write("r.gcode", chunks.join(&b'\n'), at(3_600_000)).unwrap();
        if p.start_print(at(3_600_000), "r.gcode").is_ok() {
            p.advance(at(7_200_000));
        }
        check_invariants(&p);
        prop_assert!(p.take_output().len() <= output::OUTPUT_CAP);
    }
}

#[test]
fn m31_m84_and_m26_do_what_marlin_does() {
    let mut p = homed();
    assert_eq!(send(&mut p, 10_001, "M31"), "echo:Print time: 0s\nok\n");
    assert_eq!(send(&mut p, 10_001, "M84"), "ok\n");
    assert_eq!(send(&mut p, 10_001, "G1 Y1"), "echo:Home Y First\nok\n");
    let mut p = long_print(&[]);
    p.pause(at(11_000)).unwrap();
    send(&mut p, 11_000, "M26 S0");
    run(&mut p, 12_000);
    assert_eq!(p.job().bytes_done, 0);
    // M22 leaves a card that is printing alone.
    assert_eq!(send(&mut p, 11_000, "M22"), "ok\n");
    assert!(p.sd.mounted);
}

#[test]
fn the_deadline_says_when_the_next_line_is_due() {
    let mut p = printer();
    assert_eq!(p.next_deadline(), None);
    send(&mut p, 0, "G28");
    assert_eq!(p.next_deadline(), Some(at(2_000)));
    run(&mut p, 10_001);
    assert_eq!(p.next_deadline(), None);
    send(&mut p, 10_001, "M109 S50");
    assert_eq!(p.next_deadline(), Some(at(11_001)));
    send(&mut p, 10_001, "M155 S5");
    // M155 was read when M109 ended; its lines come every 5 s from then.
    run(&mut p, 200_000);
    let next = p.next_deadline().unwrap().as_millis();
    assert!((200_001..=205_000).contains(&next), "{next}");
    assert_eq!(run(&mut p, next - 1), "");
    assert!(run(&mut p, next).starts_with(" T:"));
}
