namespace Reconciler.Specs.Parsing;

/// <summary>Takes the declared fields' values out of a parsed spec, as <see cref="FieldValues"/>.</summary>
internal static class DeclaredBinder
{
    /// <summary>
    /// The value of every declared field of <paramref name="declared"/> that <paramref name="spec"/>
    /// (the parsed <c>spec</c> mapping) wrote, or that has a default inside an object that was written.
    /// </summary>
    public static FieldValues Bind(ParsedObject spec, DeclaredFields declared)
    {
        var values = FieldValues.Empty;
        foreach (var field in declared.All)
        {
            // spec.a.b.c → the objects a and b, then the field c.
            var names = field.Path.Text.Split('.');
            var owner = spec;
            for (var i = 1; i < names.Length - 1 && owner is not null; i++) owner = owner.Get<ParsedObject>(names[i]);
            if (owner is null) continue;
            var name = names[^1];
            if (!owner.Has(name) && owner.Def[name].Default is null) continue;
            if (owner.Get<object>(name) is { } value) values = values.With(field.Path, DeclaredFields.Canonical(field, value));
        }
        return values;
    }
}
