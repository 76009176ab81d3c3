namespace Reconciler.Specs;

/// <summary>The stable codes of the diagnostics the spec loader produces.</summary>
public static class DiagnosticCodes
{
    /// <summary>The YAML could not be parsed (the rest of that file is not checked).</summary>
    public const string YamlSyntax = "yaml-syntax";
    /// <summary>A mapping has the same key twice.</summary>
    public const string DuplicateKey = "duplicate-key";
    /// <summary>A file could not be read or is not UTF-8.</summary>
    public const string FileUnreadable = "file-unreadable";
    /// <summary>A file is larger than the loader accepts.</summary>
    public const string FileTooLarge = "file-too-large";
    /// <summary>The spec directory does not exist.</summary>
    public const string SourceNotFound = "source-not-found";
    /// <summary>Warning: the source holds no manifest.</summary>
    public const string NoManifests = "no-manifests";
    /// <summary>A required field is missing.</summary>
    public const string MissingField = "missing-field";
    /// <summary>A field that the kind does not have (usually a typo).</summary>
    public const string UnknownField = "unknown-field";
    /// <summary>A value of the wrong YAML type (a string for an integer, a list for a mapping).</summary>
    public const string WrongType = "wrong-type";
    /// <summary>A value that is not one of the allowed values.</summary>
    public const string InvalidEnum = "invalid-enum";
    /// <summary>A byte size that cannot be parsed (no unit, not a number).</summary>
    public const string InvalidSize = "invalid-size";
    /// <summary>A string with control characters.</summary>
    public const string InvalidCharacters = "invalid-characters";
    /// <summary>An apiVersion other than <c>reconciler/v1</c>.</summary>
    public const string UnsupportedApiVersion = "unsupported-api-version";
    /// <summary>A kind Reconciler does not know.</summary>
    public const string UnknownKind = "unknown-kind";
    /// <summary>A known kind that is not supported yet.</summary>
    public const string UnsupportedKind = "unsupported-kind";
    /// <summary>A name that is not libvirt-safe.</summary>
    public const string InvalidName = "invalid-name";
    /// <summary>A label key or value that is not well-formed.</summary>
    public const string InvalidLabel = "invalid-label";
    /// <summary>Two manifests of the same kind with the same name.</summary>
    public const string DuplicateName = "duplicate-name";
    /// <summary>A number or size outside its allowed range.</summary>
    public const string OutOfRange = "out-of-range";
    /// <summary>Fields that cannot be used together (or exactly one of several is required).</summary>
    public const string ConflictingFields = "conflicting-fields";
    /// <summary>A disk path that is not absolute.</summary>
    public const string InvalidPath = "invalid-path";
    /// <summary>Two disks with the same path or target.</summary>
    public const string DuplicateDisk = "duplicate-disk";
    /// <summary>A disk target that is not like <c>vda</c>, <c>sdb</c>.</summary>
    public const string InvalidTarget = "invalid-target";
    /// <summary>A MAC address that is malformed or not unicast.</summary>
    public const string InvalidMac = "invalid-mac";
    /// <summary>The same MAC address on two interfaces.</summary>
    public const string DuplicateMac = "duplicate-mac";
    /// <summary>A listen address that is not an IP address.</summary>
    public const string InvalidAddress = "invalid-address";
    /// <summary>A node URI that does not parse or has an unknown scheme.</summary>
    public const string InvalidUri = "invalid-uri";
    /// <summary><c>spec.node</c> names no Node of the set.</summary>
    public const string UnknownNode = "unknown-node";
    /// <summary><c>spec.node</c> is required because the set defines several nodes.</summary>
    public const string NodeRequired = "node-required";
    /// <summary>An XML patch's XPath does not compile or does not start at <c>/domain</c>.</summary>
    public const string InvalidXPath = "invalid-xpath";
    /// <summary>An XML patch's <c>add</c> is not a well-formed XML fragment.</summary>
    public const string InvalidXml = "invalid-xml";
    /// <summary>cloud-init content that is not valid (YAML that does not parse, meta-data setting instance-id).</summary>
    public const string InvalidCloudInit = "invalid-cloud-init";
    /// <summary>Two networks on one node whose subnets overlap, or a range or address outside its subnet.</summary>
    public const string OverlappingNetwork = "overlapping-network";
    /// <summary>The same MAC, address or name twice among a network's static hosts.</summary>
    public const string DuplicateHost = "duplicate-host";
    /// <summary>A reference between specs that cannot hold (a volume on another node than its pool).</summary>
    public const string BadReference = "bad-reference";
    /// <summary>Any other malformed value (a name pattern, duplicate boot orders).</summary>
    public const string InvalidValue = "invalid-value";
}
