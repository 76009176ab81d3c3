// What the binding works with everywhere: the native declarations and handles, and the interop
// types they are declared with.
global using System.Runtime.InteropServices;
global using Reconciler.Libvirt.Native;
