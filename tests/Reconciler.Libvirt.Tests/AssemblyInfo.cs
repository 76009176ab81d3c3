// libvirt.so.0 is a Linux library: so are these tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
