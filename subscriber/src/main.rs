fn main() {
    std::process::exit(subscriber::main());
}
