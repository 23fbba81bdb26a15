//! Marlin's own serial texts, verbatim, so that every line the model writes is the firmware's.
//! Each constant names its source in Marlin 2.1.2.x (see `MARLIN.md` beside this file).

/// `STR_OK` (`core/language.h`).
pub const OK: &str = "ok";
/// `SERIAL_ERROR_START` prefix (`core/serial.h`).
pub const ERROR_PREFIX: &str = "Error:";
/// `SERIAL_ECHO_START` prefix (`core/serial.h`).
pub const ECHO_PREFIX: &str = "echo:";
/// `STR_ERR_LINE_NO` (`core/language.h`), followed by the last good line number.
pub const ERR_LINE_NO: &str = "Line Number is not Last Line Number+1, Last Line: ";
/// `STR_ERR_CHECKSUM_MISMATCH` (`core/language.h`).
pub const ERR_CHECKSUM_MISMATCH: &str = "checksum mismatch, Last Line: ";
/// `STR_ERR_NO_CHECKSUM` (`core/language.h`).
pub const ERR_NO_CHECKSUM: &str = "No Checksum with line number, Last Line: ";
/// `STR_RESEND` (`core/language.h`), followed by the line the host must send again.
pub const RESEND: &str = "Resend: ";
/// `STR_UNKNOWN_COMMAND` (`core/language.h`): `echo:Unknown command: "<command>"`.
pub const UNKNOWN_COMMAND: &str = "Unknown command: \"";
/// `STR_BUSY_PROCESSING` (`core/language.h`), sent by `GcodeSuite::host_keepalive` every 2 s.
pub const BUSY_PROCESSING: &str = "busy: processing";
/// `STR_ERR_KILLED` (`core/language.h`), printed by `kill()` (`MarlinCore.cpp`).
pub const ERR_KILLED: &str = "Printer halted. kill() called!";
/// `STR_STOPPED_HEATER` (`core/language.h`), printed by `Temperature::_temp_error`.
pub const STOPPED_HEATER: &str = ", system stopped! Heater_ID: ";
/// `STR_T_THERMAL_RUNAWAY` (`core/language.h`).
pub const THERMAL_RUNAWAY: &str = "Thermal Runaway";
/// `STR_T_MAXTEMP` (`core/language.h`).
pub const MAXTEMP: &str = "MAXTEMP triggered";
/// `STR_T_MINTEMP` (`core/language.h`).
pub const MINTEMP: &str = "MINTEMP triggered";
/// `STR_HEATER_BED` (`core/language.h`).
pub const HEATER_BED: &str = "bed";
/// `MSG_HOME_FIRST` (`lcd/language/language_en.h`, "Home %s%s%s First"), filled by `homing_needed_error`.
pub const HOME_FIRST: (&str, &str) = ("Home ", " First");
/// `STR_ERR_COLD_EXTRUDE_STOP` (`core/language.h`), echoed by the planner.
pub const COLD_EXTRUDE_STOP: &str = " cold extrusion prevented";
/// `STR_ERR_LONG_EXTRUDE_STOP` (`core/language.h`).
pub const LONG_EXTRUDE_STOP: &str = " too long extrusion prevented";
/// `STR_INVALID_EXTRUDER` (`core/language.h`).
pub const INVALID_EXTRUDER: &str = "Invalid extruder";
/// `STR_BEGIN_FILE_LIST` (`core/language.h`).
pub const BEGIN_FILE_LIST: &str = "Begin file list";
/// `STR_END_FILE_LIST` (`core/language.h`).
pub const END_FILE_LIST: &str = "End file list";
/// `STR_NO_MEDIA` (`core/language.h`).
pub const NO_MEDIA: &str = "No media";
/// `STR_SD_CARD_OK` (`core/language.h`).
pub const SD_CARD_OK: &str = "SD card ok";
/// `STR_SD_CARD_RELEASED` (`core/language.h`).
pub const SD_CARD_RELEASED: &str = "SD card released";
/// `STR_SD_OPEN_FILE_FAIL` (`core/language.h`), followed by the name and a full stop.
pub const SD_OPEN_FILE_FAIL: &str = "open failed, File: ";
/// `STR_SD_FILE_OPENED` (`core/language.h`).
pub const SD_FILE_OPENED: &str = "File opened: ";
/// `STR_SD_SIZE` (`core/language.h`).
pub const SD_SIZE: &str = " Size: ";
/// `STR_SD_FILE_SELECTED` (`core/language.h`).
pub const SD_FILE_SELECTED: &str = "File selected";
/// `STR_SD_WRITE_TO_FILE` (`core/language.h`).
pub const SD_WRITE_TO_FILE: &str = "Writing to file: ";
/// `STR_FILE_SAVED` (`core/language.h`).
pub const FILE_SAVED: &str = "Done saving file.";
/// `STR_SD_ERR_WRITE_TO_FILE` (`core/language.h`).
pub const SD_ERR_WRITE_TO_FILE: &str = "error writing to file";
/// `STR_SD_PRINTING_BYTE` (`core/language.h`), `SD printing byte <pos>/<size>`.
pub const SD_PRINTING_BYTE: &str = "SD printing byte ";
/// `STR_SD_NOT_PRINTING` (`core/language.h`).
pub const SD_NOT_PRINTING: &str = "Not SD printing";
/// `STR_FILE_PRINTED` (`core/language.h`), announced by M1001 when an SD print ends.
pub const FILE_PRINTED: &str = "Done printing file";
/// `CardReader::removeFile` (`sd/cardreader.cpp`).
pub const FILE_DELETED: &str = "File deleted:";
/// `CardReader::removeFile` (`sd/cardreader.cpp`), followed by the name and a full stop.
pub const DELETION_FAILED: &str = "Deletion failed, File: ";
/// `GcodeSuite::M31` (`gcode/stats/M31.cpp`).
pub const PRINT_TIME: &str = "Print time: ";
/// `STR_COUNT_X` (`core/language.h`), the stepper counts after M114's position.
pub const COUNT_X: &str = " Count X:";
/// The version this model reproduces (`SHORT_BUILD_VERSION`, `inc/Version.h` of the 2.1.2.1 release).
pub const VERSION: &str = "2.1.2.1";
/// `SOURCE_CODE_URL` (`inc/Version.h`).
pub const SOURCE_CODE_URL: &str = "github.com/MarlinFirmware/Marlin";
/// `PROTOCOL_VERSION` (`inc/Version.h`).
pub const PROTOCOL_VERSION: &str = "1.0";
/// `DEFAULT_MACHINE_UUID` (`inc/Version.h`).
pub const MACHINE_UUID: &str = "cede2a2f-41a2-4748-9b12-c55c62f367ff";
/// The `__DATE__ " " __TIME__` of our simulated build (M115 prints the build time).
pub const BUILD_DATE: &str = "Jan 11 2024 12:00:00";

/// M115's `Cap:` lines in `GcodeSuite::M115` order (`gcode/host/M115.cpp`), each with the value this
/// simulated configuration gives it: the capabilities the model implements are 1, the rest 0.
pub const CAPABILITIES: &[(&str, bool)] = &[
    ("SERIAL_XON_XOFF", false),
    ("BINARY_FILE_TRANSFER", false),
    ("EEPROM", false),
    ("VOLUMETRIC", true),
    ("AUTOREPORT_POS", false),
    ("AUTOREPORT_TEMP", true),
    ("PROGRESS", false),
    ("PRINT_JOB", true),
    ("AUTOLEVEL", false),
    ("RUNOUT", false),
    ("Z_PROBE", false),
    ("LEVELING_DATA", false),
    ("BUILD_PERCENT", true),
    ("SOFTWARE_POWER", false),
    ("TOGGLE_LIGHTS", false),
    ("CASE_LIGHT_BRIGHTNESS", false),
    ("EMERGENCY_PARSER", false),
    ("HOST_ACTION_COMMANDS", false),
    ("PROMPT_SUPPORT", false),
    ("SDCARD", true),
    ("REPEAT", false),
    ("SD_WRITE", true),
    ("AUTOREPORT_SD_STATUS", true),
    ("LONG_FILENAME", false),
    ("LFN_WRITE", false),
    ("CUSTOM_FIRMWARE_UPLOAD", false),
    ("EXTENDED_M20", false),
    ("THERMAL_PROTECTION", true),
    ("MOTION_MODES", false),
    ("ARCS", false),
    ("BABYSTEPPING", false),
    ("CHAMBER_TEMPERATURE", false),
    ("COOLER_TEMPERATURE", false),
    ("MEATPACK", false),
    ("CONFIG_EXPORT", false),
];
