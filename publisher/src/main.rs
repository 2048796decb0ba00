fn main() {
    std::process::exit(publisher::main());
}
