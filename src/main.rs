//! The shipgate binary: the process environment and arguments in, an exit code out.

fn main() {
    let env = shipgate::platform::Env::from_process();
    let code = shipgate::run(std::env::args_os(), env);
    std::process::exit(code);
}
