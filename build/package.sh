#!/usr/bin/env bash
# build/package.sh [--binary-only] [OUTDIR]: builds, from this checkout, everything a user installs (default OUTDIR: artifacts/):
#   OUTDIR/linux-x64/reconcile             single-file, self-contained, ReadyToRun binary (no .NET needed on the target)
#   OUTDIR/reconciler_VERSION_amd64.deb    /usr/bin/reconcile, the systemd unit, /etc/reconciler/appsettings.json
#                                          (a conffile), bash completion, docs in /usr/share/doc/reconciler
#   OUTDIR/reconciler.VERSION.nupkg        a dotnet tool: dotnet tool install --global --add-source OUTDIR reconciler
# Needs the .NET SDK, dpkg-deb and fakeroot; no network beyond the NuGet registry. Intermediate
# files go to OUTDIR/build (never into src/*/bin or obj, so a build or test run beside it is not disturbed).
set -euo pipefail
binary_only=0
if [ "${1:-}" = --binary-only ]; then binary_only=1; shift; fi   # only the binary (deploy/Dockerfile)
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
out=$(mkdir -p "${1:-$root/artifacts}" && cd "${1:-$root/artifacts}" && pwd)
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
tools="dotnet"; [ "$binary_only" = 1 ] || tools="dotnet dpkg-deb fakeroot gzip git"
for tool in $tools; do
  command -v "$tool" >/dev/null || { echo "package.sh: $tool is missing (bash .ci/setup-libvirt.sh installs it)" >&2; exit 1; }
done

version=$(dotnet msbuild src/Reconciler.Cli/Reconciler.Cli.csproj -nologo -getProperty:VersionPrefix)
commit=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
echo "package.sh: reconciler $version ($commit) -> $out"

# 1. The single-file binary. SourceRevisionId puts the commit into `reconcile --version` even
#    where no .git is around (a source tarball).
bin=$out/linux-x64
rm -rf "$bin"
echo "package.sh: publishing the single-file binary"
dotnet publish src/Reconciler.Cli/Reconciler.Cli.csproj -c Release -r linux-x64 --self-contained \
  -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:SourceRevisionId="$commit" \
  --artifacts-path "$out/build" -o "$bin" -nologo -v quiet
find "$bin" -type f ! -name reconcile -delete   # pdb and xml docs: not shipped
"$bin/reconcile" --version
[ "$binary_only" = 1 ] && exit 0

# 2. The Debian package.
echo "package.sh: building the Debian package"
stage=$out/build/deb
rm -rf "$stage"
install -d "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/reconciler/specs" \
  "$stage/usr/share/doc/reconciler" "$stage/usr/share/bash-completion/completions"
install -m 0755 "$bin/reconcile" "$stage/usr/bin/reconcile"
# The repository's unit, with the package's path to the binary.
sed -e 's|/usr/local/lib/reconciler/reconcile|/usr/bin/reconcile|g' \
    -e 's|^# Install: .*|# Installed by the reconciler Debian package. Settings: /etc/reconciler/appsettings.json.|' \
    -e '/^# \/etc\/systemd\/system\/, settings/d' -e '/^# secrets to \/etc\/reconciler\/ (mode 0600)/d' \
    deploy/systemd/reconciler.service > "$stage/lib/systemd/system/reconciler.service"
chmod 0644 "$stage/lib/systemd/system/reconciler.service"
install -m 0644 build/debian/appsettings.json "$stage/etc/reconciler/appsettings.json"
install -m 0644 build/debian/README.specs "$stage/etc/reconciler/specs/README"
"$bin/reconcile" completion bash > "$stage/usr/share/bash-completion/completions/reconcile"
chmod 0644 "$stage/usr/share/bash-completion/completions/reconcile"
install -m 0644 build/debian/copyright "$stage/usr/share/doc/reconciler/copyright"
for doc in README.md docs/controller.md specs/reference.md; do
  gzip -9n < "$doc" > "$stage/usr/share/doc/reconciler/$(basename "$doc").gz"
done
sed -e "s/@VERSION@/$version/g" -e "s/@DATE@/$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")/" \
  build/debian/changelog | gzip -9n > "$stage/usr/share/doc/reconciler/changelog.gz"   # a native package's name
install -d "$stage/usr/share/lintian/overrides"
install -m 0644 build/debian/lintian-overrides "$stage/usr/share/lintian/overrides/reconciler"
for script in postinst prerm postrm; do install -m 0755 "build/debian/$script" "$stage/DEBIAN/$script"; done
install -m 0644 build/debian/conffiles "$stage/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" build/debian/control > "$stage/DEBIAN/control"
deb=$out/reconciler_${version}_amd64.deb
rm -f "$out"/reconciler_*_amd64.deb
# xz at level 1: the binary compresses as well as at the default level, much faster.
fakeroot dpkg-deb -Zxz -z1 --build "$stage" "$deb" >/dev/null
rm -rf "$stage"
echo "package.sh: $deb"

# 3. The dotnet tool (framework-dependent: it runs on the installed .NET).
echo "package.sh: packing the dotnet tool"
rm -f "$out"/reconciler.*.nupkg
dotnet pack src/Reconciler.Cli/Reconciler.Cli.csproj -c Release -p:PackAsTool=true -p:PublishReadyToRun=false \
  -p:SourceRevisionId="$commit" --artifacts-path "$out/build" -o "$out" -nologo -v quiet
ls -l "$bin/reconcile" "$deb" "$out"/reconciler.*.nupkg
