// The layers every part of the engine works with: the model and planner, the field identities,
// the native binding, rendering, and the engine's own node and apply namespaces.
global using Reconciler.Core.Diagnostics;
global using Reconciler.Core.Fields;
global using Reconciler.Core.Model;
global using Reconciler.Core.Planning;
global using Reconciler.Engine.Apply;
global using Reconciler.Engine.Nodes;
global using Reconciler.Libvirt;
global using Reconciler.Rendering;
