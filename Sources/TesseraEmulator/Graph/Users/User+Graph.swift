import Foundation

/// A user as Graph's `microsoft.graph.user`: the properties served (those Graph answers without `$select` marked
/// default), read and written once here.
extension DirectoryModel.User: GraphTableEntity {
    static let typeName = "user"

    static let requiredOnCreate = ["accountEnabled", "displayName", "mailNickname", "userPrincipalName"]

    static let graphTable = GraphTable<DirectoryModel.User>([
        .text("id", searchable: false, read: { $0.id }, write: nil),
        .texts("businessPhones", read: { $0.businessPhones ?? [] }, write: { $0.businessPhones = $1 }),
        .text("displayName", nullable: false, read: { $0.displayName }, write: { $0.displayName = $1 ?? "" }),
        .text("givenName", read: { $0.givenName }, write: { $0.givenName = $1 }),
        .text("jobTitle", read: { $0.jobTitle }, write: { $0.jobTitle = $1 }),
        .text("mail", read: { $0.mail }, write: { $0.mail = $1 }),
        .text("mobilePhone", read: { $0.mobilePhone }, write: { $0.mobilePhone = $1 }),
        .text("officeLocation", read: { $0.officeLocation }, write: { $0.officeLocation = $1 }),
        .text("preferredLanguage", read: { $0.preferredLanguage }, write: { $0.preferredLanguage = $1 }),
        .text("surname", read: { $0.surname }, write: { $0.surname = $1 }),
        .text(
            "userPrincipalName",
            nullable: false,
            read: { $0.userPrincipalName },
            write: { $0.userPrincipalName = $1 ?? "" }
        ),
        .flag(
            "accountEnabled",
            default: false,
            read: { $0.accountEnabled ?? true },
            write: { $0.accountEnabled = $1 }
        ),
        .text("mailNickname", default: false, read: { $0.effectiveMailNickname }, write: { $0.mailNickname = $1 }),
        .text("department", default: false, read: { $0.department }, write: { $0.department = $1 }),
        .text("companyName", default: false, read: { $0.companyName }, write: { $0.companyName = $1 }),
        .text("employeeId", default: false, read: { $0.employeeId }, write: { $0.employeeId = $1 }),
        .text("usageLocation", default: false, read: { $0.usageLocation }, write: { $0.usageLocation = $1 }),
        .text("userType", default: false, read: { $0.effectiveUserType }, write: { $0.userType = $1 }),
    ])

    /// The alias Graph shows: the one set, else the UPN's part before `@`.
    var effectiveMailNickname: String {
        mailNickname ?? String(userPrincipalName.split(separator: "@").first ?? Substring(userPrincipalName))
    }

    /// `Member` or `Guest`: the one set, else `Guest` for an external user's UPN (`…#EXT#@…`).
    var effectiveUserType: String {
        userType ?? (userPrincipalName.uppercased().contains("#EXT#") ? "Guest" : "Member")
    }
}

extension DirectoryModel.Tenant {
    /// Throws Graph's refusals of a UPN for a new or renamed user: not `local@domain`, a domain the tenant has not
    /// verified (when it lists any), or one another user has (`excluding` the user being renamed).
    func checkUserPrincipalName(_ upn: String, excluding id: String?) throws {
        let parts = upn.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw GraphError.refused(
                "Invalid value specified for property 'userPrincipalName' of resource 'User': "
                    + "'\(GraphError.quoted(upn))' is not of the form alias@domain."
            )
        }
        let domain = parts[1].lowercased()
        guard domains.isEmpty || domains.contains(where: { $0.lowercased() == domain }) else {
            throw GraphError.refused(
                "The domain portion of the userPrincipalName property is invalid. You must use one of the verified "
                    + "domain names in your organization (\(domains.joined(separator: ", ")))."
            )
        }
        let taken = users.contains {
            $0.userPrincipalName.lowercased() == upn.lowercased() && $0.id.lowercased() != id?.lowercased()
        }
        guard !taken else {
            throw GraphError.refused(
                "Another object with the same value for property userPrincipalName already exists."
            )
        }
    }
}
