using System.Text.Json.Serialization;

namespace Reconciler.Engine.Nodes;

/// <summary>
/// Source-generated JSON for the sandbox's small side files (autostart flags), which every command
/// on the sandbox reads: no reflection-based serializer to set up at start-up. The JSON is the same
/// as the reflection-based serializer's (property names as declared).
/// </summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(SandboxStorage.Autostart))]
internal sealed partial class SandboxJson : JsonSerializerContext;
