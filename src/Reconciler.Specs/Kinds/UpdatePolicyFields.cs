using Reconciler.Core.Planning;

namespace Reconciler.Specs.Kinds;

/// <summary>The <c>spec.updatePolicy</c> object of a Domain and the snapshot fields beside it.</summary>
internal static class UpdatePolicyFields
{
    public static readonly IReadOnlyList<string> Disruptions = ["none", "live", "next-boot", "restart", "replace"];

    public static readonly ObjectDef Def = new("UpdatePolicy",
        "How far an update may disturb the running guest. Changes that need a restart are applied to the persistent definition and stay 'restart pending' unless restart allows Reconciler to restart the domain.",
    [
        new FieldDef("restart", FieldType.Enum, "never: changes that need a restart wait for the guest's next boot; auto: Reconciler restarts the domain (ACPI shutdown, then a hard stop after the timeout, then start); window: only inside `window`.")
        {
            Allowed = ["never", "auto", "window"], Default = "never", Example = "auto", Libvirt = "virDomainShutdown / virDomainDestroy / virDomainCreate",
        },
        new FieldDef("window", FieldType.String, "The maintenance window for restart: window, in UTC: optional days then HH:MM-HH:MM (an end before the start wraps past midnight).")
        {
            Example = "\"Sat,Sun 02:00-04:00\"", Libvirt = "none (Reconciler only)",
        },
        new FieldDef("maxDisruption", FieldType.Enum, "Overrides the command's --max-disruption for this domain.")
        {
            Allowed = Disruptions, DefaultText = "the command's --max-disruption", Example = "live", Libvirt = "none (Reconciler only)",
        },
    ]);

    public static readonly FieldDef UpdatePolicy = new("updatePolicy", FieldType.Object, "How far updates may disturb the running guest.")
    {
        Item = Def, DefaultText = "{restart: never}", Example = "{restart: window, window: \"Sun 03:00-04:00\"}", Libvirt = "none (Reconciler only)",
    };

    public static readonly FieldDef SnapshotBeforeUpdate = new("snapshotBeforeUpdate", FieldType.Boolean,
        "Take a libvirt snapshot before a restart or replace change; `reconcile rollback NAME` restores it.")
    {
        Default = false, Example = "true", Libvirt = "virDomainSnapshotCreateXML (snapshot reconciler-YYYYMMDDTHHMMSSZ)",
    };

    public static readonly FieldDef SnapshotsToKeep = new("snapshotsToKeep", FieldType.Integer, "How many of Reconciler's snapshots of this domain are kept — every one it makes (scheduled, by hand, before an update), recognised by the name prefix reconciler-; older ones are deleted after each new one. A user's snapshots are never deleted. Changing it disturbs nothing (disruption class none).")
    {
        Default = 3, Minimum = 1, Maximum = 50, Example = "5", Libvirt = "virDomainSnapshotDelete",
    };

    public static Core.Model.UpdatePolicy? Build(ParsedObject? policy)
    {
        if (policy is null) return null;
        var restart = policy.Get<string>("restart") switch
        {
            "auto" => RestartPolicy.Auto,
            "window" => RestartPolicy.Window,
            _ => RestartPolicy.Never,
        };
        Disruption? max = policy.Get<string>("maxDisruption") switch
        {
            "none" => Disruption.None,
            "live" => Disruption.Live,
            "next-boot" => Disruption.NextBoot,
            "restart" => Disruption.Restart,
            "replace" => Disruption.Replace,
            _ => null,
        };
        return new Core.Model.UpdatePolicy(restart, policy.Get<string>("window"), max);
    }
}
