//! Links libxml2 (the XSD validator backend): through pkg-config where it is available, so
//! Homebrew/MSYS2/vcpkg installs are found, otherwise as the system library `xml2`.

fn main() {
    if pkg_config::Config::new()
        .atleast_version("2.9")
        .probe("libxml-2.0")
        .is_err()
    {
        println!("cargo:rustc-link-lib=xml2");
    }
}
