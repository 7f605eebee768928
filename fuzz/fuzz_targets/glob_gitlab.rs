#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| shipgate_fuzz::glob_gitlab(data));
