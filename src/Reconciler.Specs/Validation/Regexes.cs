namespace Reconciler.Specs.Validation;

/// <summary>Compiled forms of <see cref="Patterns"/>.</summary>
internal static partial class Regexes
{
    [GeneratedRegex(Patterns.Name)] private static partial Regex NameRegex();
    [GeneratedRegex(Patterns.LabelKey)] private static partial Regex LabelKeyRegex();
    [GeneratedRegex(Patterns.LabelValue)] private static partial Regex LabelValueRegex();
    [GeneratedRegex(Patterns.Token)] private static partial Regex TokenRegex();
    [GeneratedRegex(Patterns.Target)] private static partial Regex TargetRegex();
    [GeneratedRegex(Patterns.Mac)] private static partial Regex MacRegex();
    [GeneratedRegex(Patterns.Bridge)] private static partial Regex BridgeRegex();
    [GeneratedRegex(Patterns.Arch)] private static partial Regex ArchRegex();
    [GeneratedRegex(@"^[0-9]{1,3}(\.[0-9]{1,3}){3}$")] private static partial Regex Ipv4Regex();

    public static Regex Name => NameRegex();
    public static Regex LabelKey => LabelKeyRegex();
    public static Regex LabelValue => LabelValueRegex();
    public static Regex Token => TokenRegex();
    public static Regex Target => TargetRegex();
    public static Regex Mac => MacRegex();
    public static Regex Bridge => BridgeRegex();
    public static Regex Arch => ArchRegex();
    public static Regex Ipv4 => Ipv4Regex();
}
