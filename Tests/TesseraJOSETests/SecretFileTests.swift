import Foundation
import TesseraJOSE
import Testing

/// `SecretFile`: secret files are born 0600 and never written through a planted symlink; private folders are refused
/// when someone else could have planted their contents.
@Suite("Secret files and private folders")
struct SecretFileTests {
    /// A new private folder (0700 whatever the umask).
    func folder() throws -> String {
        let path = NSTemporaryDirectory() + "tessera-secret-" + UUID().uuidString.prefix(8)
        try SecretFile.prepareFolder(path)
        return path
    }

    func mode(_ path: String) throws -> Int {
        try ((FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue).map {
            $0 & 0o777
        } ?? -1
    }

    @Test(
        "a secret is written 0600, replacing the file; a symlink planted at the path is replaced, its target untouched"
    )
    func symlinkReplaced() throws {
        let folder = try folder()
        let victim = folder + "/victim"
        try "original".write(toFile: victim, atomically: false, encoding: .utf8)
        chmod(victim, 0o644)
        let path = folder + "/secret.pem"
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: victim)
        try SecretFile.write(Array("canary-private-key".utf8), to: path)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "original")
        #expect(try mode(victim) == 0o644)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == nil, "the path is a file now")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "canary-private-key")
        #expect(try mode(path) == 0o600)
        try SecretFile.write(Array("second".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["secret.pem", "victim"])
    }

    @Test("a missing folder fails with an error naming the file; a failed rename leaves no temporary file")
    func missingFolder() throws {
        let path = NSTemporaryDirectory() + "tessera-missing-" + UUID().uuidString.prefix(8) + "/key.pem"
        #expect {
            try SecretFile.write(Array("x".utf8), to: path)
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("check the folder exists")
        }
        let folder = try folder()
        try FileManager.default.createDirectory(atPath: folder + "/occupied/inside", withIntermediateDirectories: true)
        #expect {
            try SecretFile.write(Array("x".utf8), to: folder + "/occupied")
        } throws: { error in
            "\(error)".contains("cannot replace it")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["occupied"])
    }

    @Test("a private folder: created 0700; a folder writable by others, or a symlink, is refused with the fix")
    func privateFolder() throws {
        let parent = try folder()
        let fresh = parent + "/state"
        try SecretFile.prepareFolder(fresh)
        #expect(try mode(fresh) == 0o700)
        try SecretFile.prepareFolder(fresh)  // an existing private folder is fine

        let open = parent + "/shared-tmp"
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: false)
        chmod(open, 0o777)
        #expect {
            try SecretFile.prepareFolder(open)
        } throws: { error in
            "\(error)".contains(open) && "\(error)".contains("writable by group or others (mode 777)")
                && "\(error)".contains("remove it and let it be created again")
        }

        let link = parent + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: fresh)
        for path in [link, link + "/", link + "//"] {  // lstat follows a symlink named with a trailing slash
            #expect {
                try SecretFile.prepareFolder(path)
            } throws: { error in
                "\(error)".contains("is not a folder")
            }
        }

        let inOpen = open + "/state"  // private itself, but under a folder anyone may write to
        #expect {
            try SecretFile.prepareFolder(inOpen)
        } throws: { error in
            "\(error)".contains("above it is writable by group or others (mode 777)")
        }
    }

    @Test("a folder owned by another user is refused (needs root to make one)", .enabled(if: geteuid() == 0))
    func foreignOwner() throws {
        let foreign = try folder() + "/foreign"
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: false)
        chmod(foreign, 0o700)
        try #require(chown(foreign, 65534, 65534) == 0, "uid 65534 is not mapped here")
        #expect {
            try SecretFile.prepareFolder(foreign)
        } throws: { error in
            "\(error)".contains("is owned by user 65534") && "\(error)".contains("choose a folder of your own")
        }
    }

    @Test("a file written in pieces: 0600 from the start; dropped uncommitted, the old file stays and no temporary")
    func pieces() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/users.jsonl"
        try SecretFile.write(Array("old\n".utf8), to: path)
        do {
            let writer = try SecretFileWriter(path: path)
            try writer.append(Array("page 1\n".utf8))
            let temporaries = try FileManager.default.contentsOfDirectory(atPath: folder).filter {
                $0.contains(".tmp-")
            }
            #expect(temporaries.count == 1)
            #expect(try mode(folder + "/" + temporaries[0]) == 0o600)
            // The run fails here: the writer is dropped without a commit.
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["users.jsonl"])
        let writer = try SecretFileWriter(path: path)
        for page in 1...3 { try writer.append(Array("page \(page)\n".utf8)) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n", "nothing replaced before the commit")
        try writer.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "page 1\npage 2\npage 3\n")
        #expect(try mode(path) == 0o600)
        #expect(throws: SecretFileError.self) { try writer.append([1]) }
    }
}
