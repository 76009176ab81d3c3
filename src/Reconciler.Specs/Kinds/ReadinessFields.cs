namespace Reconciler.Specs.Kinds;

/// <summary>The <c>spec.readiness</c> object of a Domain: when its guest counts as ready. Not rendered to XML (like updatePolicy).</summary>
internal static class ReadinessFields
{
    private const string Hint = "give exactly one of: {agent: true}, {address: true}, {tcp: 22}, {console: \"login:\"}";

    public static readonly ObjectDef Def = new("Readiness",
        "When the guest counts as ready, for `apply --wait ready`, `status` and the controller's GuestReady condition. Exactly one field. " +
        "Without it a guest is ready once the domain runs.",
    [
        new FieldDef("agent", FieldType.Boolean, "Ready when the QEMU guest agent answers (a call through the agent succeeds). Needs qemu-ga in the guest.")
        {
            Example = "true", Libvirt = "virDomainGetTime (goes through the guest agent)",
        },
        new FieldDef("address", FieldType.Boolean, "Ready when an address of the guest is known: the network's DHCP leases, then the guest agent, then the host's ARP table.")
        {
            Example = "true", Libvirt = "virDomainInterfaceAddresses (sources lease, agent, arp)",
        },
        new FieldDef("tcp", FieldType.Integer, "Ready when a TCP connection to this port of the guest's first address succeeds from where Reconciler runs.")
        {
            Minimum = 1, Maximum = 65535, Example = "22", Libvirt = "virDomainInterfaceAddresses, then a TCP connect",
        },
        new FieldDef("console", FieldType.String, "Ready when a line of the serial console holds this text (read through libvirt's console stream, so it works on remote nodes; only output after the wait starts is seen).")
        {
            Example = "\"login:\"", Libvirt = "virDomainOpenConsole",
        },
    ], exactlyOneOf: [["agent", "address", "tcp", "console"]]);

    public static readonly FieldDef Readiness = new("readiness", FieldType.Object, "When the guest counts as ready (GuestReady), apart from Ready (in sync).")
    {
        Item = Def, DefaultText = "ready once running", Example = "{address: true}", Libvirt = "none (Reconciler only)",
    };

    /// <summary>The model of <paramref name="readiness"/>; null (with a located error) unless exactly one check is given and a flag is true.</summary>
    public static Core.Model.Readiness? Build(ParsedObject? readiness, DocumentContext context)
    {
        if (readiness is null) return null;
        var given = Def.Fields.Where(f => readiness.Has(f.Name)).Select(f => f.Name).ToList();
        var where = context.Fields.GetValueOrDefault(readiness.Path, context.Start);
        if (given.Count != 1)
        {
            if (!context.IsBad(readiness.Path))
            {
                context.Error(given.Count == 0 ? DiagnosticCodes.MissingField : DiagnosticCodes.ConflictingFields,
                    given.Count == 0 ? "readiness gives no check" : $"readiness gives {given.Count} checks ({string.Join(", ", given)}); a guest has one",
                    given.Count == 0 ? where : context.Fields.GetValueOrDefault(readiness.FieldPath(given[1]), where),
                    given.Count == 0 ? readiness.Path : readiness.FieldPath(given[1]), Hint);
            }
            return null;
        }
        var name = given[0];
        if (name is "agent" or "address" && !readiness.Get<bool>(name))
        {
            context.Error(DiagnosticCodes.InvalidValue, $"readiness {name}: false checks nothing",
                context.Fields.GetValueOrDefault(readiness.FieldPath(name), where), readiness.FieldPath(name),
                $"write {name}: true, or remove readiness (the guest is then ready once it runs)");
            return null;
        }
        return name switch
        {
            "agent" => new Core.Model.Readiness(ReadinessKind.Agent),
            "address" => new Core.Model.Readiness(ReadinessKind.Address),
            "tcp" => new Core.Model.Readiness(ReadinessKind.Tcp, Port: readiness.Get<int>("tcp")),
            _ => new Core.Model.Readiness(ReadinessKind.Console, ConsoleText: readiness.Get<string>("console")),
        };
    }
}
