import Foundation

extension DirectoryModel {
    /// A user in a tenant, with the properties Graph's `/users` serves. Field names are Graph's; in the directory file
    /// only `id`, `displayName` and `userPrincipalName` are required, and the Graph-like API answers a missing one as
    /// `null` (`accountEnabled` as `true`, `mailNickname` as the UPN's part before `@`, `userType` as `Member`, or
    /// `Guest` for a UPN with `#EXT#`).
    public struct User: Codable, Sendable {
        /// The user's object ID.
        public var id: String
        /// The user's display name.
        public var displayName: String
        /// The user's sign-in name (UPN), e.g. `adele@contoso.onmicrosoft.com`; a guest's has the form
        /// `adele_fabrikam.com#EXT#@contoso.onmicrosoft.com`.
        public var userPrincipalName: String
        /// Whether the account can sign in; `nil` means `true`.
        public var accountEnabled: Bool?
        /// The mail alias; `nil` means the UPN's part before `@`.
        public var mailNickname: String?
        /// The given (first) name.
        public var givenName: String?
        /// The surname (family name).
        public var surname: String?
        /// The SMTP address.
        public var mail: String?
        /// The job title.
        public var jobTitle: String?
        /// The department.
        public var department: String?
        /// The office location.
        public var officeLocation: String?
        /// The mobile phone number.
        public var mobilePhone: String?
        /// The business phone numbers.
        public var businessPhones: [String]?
        /// The preferred language, e.g. `en-US`.
        public var preferredLanguage: String?
        /// The company name.
        public var companyName: String?
        /// The employee identifier the organisation assigned.
        public var employeeId: String?
        /// The two-letter country code where the user's services are used, e.g. `US`.
        public var usageLocation: String?
        /// `Member` or `Guest`; `nil` means `Guest` for a UPN with `#EXT#`, else `Member`.
        public var userType: String?

        /// A user with this object ID, display name and UPN, and optionally whether it is enabled, its alias, names,
        /// mail, job title and department (every other property unset).
        public init(
            id: String,
            displayName: String,
            userPrincipalName: String,
            accountEnabled: Bool? = nil,
            mailNickname: String? = nil,
            givenName: String? = nil,
            surname: String? = nil,
            mail: String? = nil,
            jobTitle: String? = nil,
            department: String? = nil
        ) {
            self.id = id
            self.displayName = displayName
            self.userPrincipalName = userPrincipalName
            self.accountEnabled = accountEnabled
            self.mailNickname = mailNickname
            self.givenName = givenName
            self.surname = surname
            self.mail = mail
            self.jobTitle = jobTitle
            self.department = department
        }
    }

    /// A group in a tenant, as Graph's `/groups` serves it, with its direct members (users or groups of the same
    /// tenant, by object ID).
    public struct Group: Codable, Sendable {
        /// The group's object ID.
        public var id: String
        /// The group's display name.
        public var displayName: String
        /// The group's description.
        public var description: String?
        /// The mail alias.
        public var mailNickname: String?
        /// The group's SMTP address.
        public var mail: String?
        /// Whether it is mail-enabled. Default `false`.
        public var mailEnabled: Bool
        /// Whether it is a security group. Default `true`.
        public var securityEnabled: Bool
        /// The group types, e.g. `["Unified"]` for a Microsoft 365 group. Default none (a security group).
        public var groupTypes: [String]
        /// The object IDs of its direct members: users or groups of the same tenant. Default none.
        public var members: [String]

        /// A group with this ID, name and alias; a security group, not mail-enabled, without members unless given.
        public init(
            id: String,
            displayName: String,
            mailNickname: String? = nil,
            description: String? = nil,
            mailEnabled: Bool = false,
            securityEnabled: Bool = true,
            groupTypes: [String] = [],
            members: [String] = []
        ) {
            self.id = id
            self.displayName = displayName
            self.mailNickname = mailNickname
            self.description = description
            self.mailEnabled = mailEnabled
            self.securityEnabled = securityEnabled
            self.groupTypes = groupTypes
            self.members = members
        }

        /// Decodes a group; missing fields take the initialiser's defaults.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            displayName = try container.decode(String.self, forKey: .displayName)
            description = try container.decodeIfPresent(String.self, forKey: .description)
            mailNickname = try container.decodeIfPresent(String.self, forKey: .mailNickname)
            mail = try container.decodeIfPresent(String.self, forKey: .mail)
            mailEnabled = try container.decodeIfPresent(Bool.self, forKey: .mailEnabled) ?? false
            securityEnabled = try container.decodeIfPresent(Bool.self, forKey: .securityEnabled) ?? true
            groupTypes = try container.decodeIfPresent([String].self, forKey: .groupTypes) ?? []
            members = try container.decodeIfPresent([String].self, forKey: .members) ?? []
        }
    }
}

extension DirectoryModel.Tenant {
    /// The index of the user whose object ID or UPN is `key` (either compared without regard to case).
    func userIndex(_ key: String) -> Int? {
        let key = key.lowercased()
        return users.firstIndex { $0.id.lowercased() == key || $0.userPrincipalName.lowercased() == key }
    }

    /// The index of the group whose object ID is `id` (compared without regard to case).
    func groupIndex(_ id: String) -> Int? {
        let id = id.lowercased()
        return self.groups.firstIndex { $0.id.lowercased() == id }
    }

    /// Whether a user or group of the tenant has the object ID `id`.
    func hasObject(_ id: String) -> Bool {
        let id = id.lowercased()
        return users.contains { $0.id.lowercased() == id } || self.groups.contains { $0.id.lowercased() == id }
    }

    /// The groups `id` is a direct member of.
    func groups(containing id: String) -> [DirectoryModel.Group] {
        let id = id.lowercased()
        return self.groups.filter { $0.members.contains { $0.lowercased() == id } }
    }

    /// Removes `id` from every group's members (the object was deleted).
    mutating func removeFromGroups(_ id: String) {
        let id = id.lowercased()
        for index in self.groups.indices { self.groups[index].members.removeAll { $0.lowercased() == id } }
    }

    /// Throws naming the first group member that is neither a user nor a group of the tenant (a directory file or an
    /// admin seed that would make `members` list nobody).
    func checkMembers(of groups: [DirectoryModel.Group]) throws {
        for group in groups {
            var seen: Set<String> = []
            for member in group.members {
                guard member.lowercased() != group.id.lowercased() else {
                    throw EmulatorError(
                        "group '\(group.id)' in tenant '\(id)' lists itself as a member: remove it from members"
                    )
                }
                guard seen.insert(member.lowercased()).inserted else {
                    throw EmulatorError(
                        "group '\(group.id)' in tenant '\(id)' lists the member '\(member)' twice: list it once"
                    )
                }
            }
            if let missing = group.members.first(where: { !hasObject($0) }) {
                throw EmulatorError(
                    "group '\(group.id)' (\(group.displayName)) in tenant '\(id)' lists the member '\(missing)', which "
                        + "is neither a user nor a group of the tenant: add it to the tenant's users or groups, or "
                        + "remove it from members"
                )
            }
        }
    }
}
