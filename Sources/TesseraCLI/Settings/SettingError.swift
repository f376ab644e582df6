/// A command-line setting that is missing or wrong: the message names it, where it was looked for and an example.
struct SettingError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
