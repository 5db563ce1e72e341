package dev.wrenn.host.grpc;

import com.google.protobuf.ByteString;
import dev.wrenn.host.api.CapsuleState;
import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.ExecResult;
import dev.wrenn.host.api.ExitCause;
import dev.wrenn.host.api.FileEntry;
import dev.wrenn.host.api.FileSet;
import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.host.api.HostInfo;
import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.host.api.Phase;
import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.host.api.ProcessInfo;
import dev.wrenn.host.api.StoredFile;
import dev.wrenn.host.api.TemplateInfo;
import dev.wrenn.host.grpc.v1.OutputSource;
import dev.wrenn.host.grpc.v1.ProcessExited;
import dev.wrenn.host.grpc.v1.ProcessOutput;
import java.time.Duration;
import java.time.Instant;

/**
 * The host interface's records to and from their protobuf messages (host.proto), both ways in one
 * place so that each field is mapped once. Absent optional strings are null on the Java side.
 */
final class Wire {
    private Wire() {}

    static dev.wrenn.host.grpc.v1.HostInfo toWire(HostInfo info) {
        return dev.wrenn.host.grpc.v1.HostInfo.newBuilder().setVmm(info.vmm()).setAccelerator(info.accelerator()).build();
    }

    static HostInfo fromWire(dev.wrenn.host.grpc.v1.HostInfo info) {
        return new HostInfo(info.getVmm(), info.getAccelerator());
    }

    static dev.wrenn.host.grpc.v1.HostCapacity toWire(HostCapacity c) {
        return dev.wrenn.host.grpc.v1.HostCapacity.newBuilder().setCpus(c.cpus()).setMemoryTotalMb(c.memoryTotalMb())
                .setMemoryFreeMb(c.memoryFreeMb()).setVmMemoryMb(c.vmMemoryMb()).setVms(c.vms())
                .setWarmClones(c.warmClones()).setDiskFreeMb(c.diskFreeMb()).build();
    }

    static HostCapacity fromWire(dev.wrenn.host.grpc.v1.HostCapacity c) {
        return new HostCapacity(c.getCpus(), c.getMemoryTotalMb(), c.getMemoryFreeMb(), c.getVmMemoryMb(), c.getVms(),
                c.getWarmClones(), c.getDiskFreeMb());
    }

    static dev.wrenn.host.grpc.v1.FileSetRef toWire(FileSet set) {
        return dev.wrenn.host.grpc.v1.FileSetRef.newBuilder().setName(set.name())
                .setKind(set.kind() == FileSet.Kind.CAPSULE ? dev.wrenn.host.grpc.v1.FileSetRef.Kind.CAPSULE
                        : dev.wrenn.host.grpc.v1.FileSetRef.Kind.TEMPLATE).build();
    }

    static FileSet fromWire(dev.wrenn.host.grpc.v1.FileSetRef set) {
        return new FileSet(set.getKind() == dev.wrenn.host.grpc.v1.FileSetRef.Kind.CAPSULE ? FileSet.Kind.CAPSULE
                : FileSet.Kind.TEMPLATE, set.getName());
    }

    static dev.wrenn.host.grpc.v1.StoredFile toWire(StoredFile f) {
        return dev.wrenn.host.grpc.v1.StoredFile.newBuilder().setName(f.name()).setSize(f.size()).setDigest(f.digest()).build();
    }

    static StoredFile fromWire(dev.wrenn.host.grpc.v1.StoredFile f) {
        return new StoredFile(f.getName(), f.getSize(), f.getDigest());
    }

    static dev.wrenn.host.grpc.v1.TemplateInfo toWire(TemplateInfo t) {
        var b = dev.wrenn.host.grpc.v1.TemplateInfo.newBuilder().setName(t.name()).setBuiltIn(t.builtIn())
                .setVcpus(t.vcpus()).setMemoryMb(t.memoryMb()).setSizeBytes(t.sizeBytes());
        if (t.createdAt() != null) b.setCreatedAtMs(t.createdAt().toEpochMilli());
        if (t.sourceCapsuleId() != null) b.setSourceCapsuleId(t.sourceCapsuleId());
        return b.build();
    }

    static TemplateInfo fromWire(dev.wrenn.host.grpc.v1.TemplateInfo t) {
        return new TemplateInfo(t.getName(), t.getBuiltIn(), t.getVcpus(), t.getMemoryMb(), t.getSizeBytes(),
                t.getCreatedAtMs() == 0 ? null : Instant.ofEpochMilli(t.getCreatedAtMs()),
                t.getSourceCapsuleId().isEmpty() ? null : t.getSourceCapsuleId());
    }

    static dev.wrenn.host.grpc.v1.CapsuleState toWire(CapsuleState s) {
        var b = dev.wrenn.host.grpc.v1.CapsuleState.newBuilder().setId(s.id())
                .setPhase(dev.wrenn.host.grpc.v1.Phase.valueOf(s.phase().name()))
                .setVcpus(s.vcpus()).setMemoryMb(s.memoryMb());
        if (s.template() != null) b.setTemplate(s.template());
        if (s.exitCause() != null) b.setExitCause(dev.wrenn.host.grpc.v1.ExitCause.valueOf(s.exitCause().name()));
        if (s.exitDetail() != null) b.setExitDetail(s.exitDetail());
        return b.build();
    }

    static CapsuleState fromWire(dev.wrenn.host.grpc.v1.CapsuleState s) {
        if (s.getPhase() == dev.wrenn.host.grpc.v1.Phase.PHASE_UNSPECIFIED || s.getPhase() == dev.wrenn.host.grpc.v1.Phase.UNRECOGNIZED) {
            throw new IllegalArgumentException("capsule " + s.getId() + " has no phase");
        }
        ExitCause cause = switch (s.getExitCause()) {
            case VM_EXITED -> ExitCause.VM_EXITED;
            case HOST_LOST -> ExitCause.HOST_LOST;
            case EXIT_CAUSE_NONE, UNRECOGNIZED -> null;
        };
        return new CapsuleState(s.getId(), s.getTemplate().isEmpty() ? null : s.getTemplate(),
                Phase.valueOf(s.getPhase().name()), s.getVcpus(), s.getMemoryMb(), cause,
                s.getExitDetail().isEmpty() ? null : s.getExitDetail());
    }

    static dev.wrenn.host.grpc.v1.NetworkPolicy toWire(NetworkPolicy p) {
        return dev.wrenn.host.grpc.v1.NetworkPolicy.newBuilder().setAllowInternet(p.allowInternet())
                .addAllAllowOut(p.allowOutText()).addAllDenyOut(p.denyOutText()).build();
    }

    /** @throws IllegalArgumentException naming an entry that is neither a CIDR nor a domain */
    static NetworkPolicy fromWire(dev.wrenn.host.grpc.v1.NetworkPolicy p) {
        return NetworkPolicy.of(p.getAllowInternet(), p.getAllowOutList(), p.getDenyOutList());
    }

    static dev.wrenn.host.grpc.v1.ExecRequest toWire(ExecRequest r) {
        var b = dev.wrenn.host.grpc.v1.ExecRequest.newBuilder().addAllArgv(r.argv()).putAllEnv(r.env())
                .setTimeoutMs(r.timeout().toMillis()).setBackground(r.background()).setDetach(r.detach())
                .setPty(r.pty()).setRows(r.rows()).setCols(r.cols());
        if (r.cwd() != null) b.setCwd(r.cwd());
        if (r.stdin() != null) b.setStdin(ByteString.copyFrom(r.stdin()));
        if (r.tag() != null) b.setTag(r.tag());
        return b.build();
    }

    /** @throws IllegalArgumentException for a request the host interface refuses (no program, a bad size, ...) */
    static ExecRequest fromWire(dev.wrenn.host.grpc.v1.ExecRequest r) {
        return new ExecRequest(r.getArgvList(), r.getEnvMap(), r.hasCwd() ? r.getCwd() : null,
                Duration.ofMillis(r.getTimeoutMs()), r.hasStdin() ? r.getStdin().toByteArray() : null,
                r.getBackground(), r.getDetach(), r.hasTag() ? r.getTag() : null, r.getPty(), r.getRows(), r.getCols());
    }

    static dev.wrenn.host.grpc.v1.ExecResult toWire(ExecResult r) {
        return dev.wrenn.host.grpc.v1.ExecResult.newBuilder().setExitCode(r.exitCode()).setSignal(r.signal())
                .setTimedOut(r.timedOut()).setStdout(ByteString.copyFrom(r.stdout()))
                .setStderr(ByteString.copyFrom(r.stderr())).setDurationMs(r.durationMs()).setTruncated(r.truncated())
                .build();
    }

    static ExecResult fromWire(dev.wrenn.host.grpc.v1.ExecResult r) {
        return new ExecResult(r.getExitCode(), r.getSignal(), r.getTimedOut(), r.getStdout().toByteArray(),
                r.getStderr().toByteArray(), r.getDurationMs(), r.getTruncated());
    }

    static dev.wrenn.host.grpc.v1.ProcessInfo toWire(ProcessInfo p) {
        var b = dev.wrenn.host.grpc.v1.ProcessInfo.newBuilder().setPid(p.pid()).addAllArgv(p.argv())
                .setDetached(p.detached()).setPty(p.pty());
        if (p.tag() != null) b.setTag(p.tag());
        return b.build();
    }

    static ProcessInfo fromWire(dev.wrenn.host.grpc.v1.ProcessInfo p) {
        return new ProcessInfo(p.getPid(), p.hasTag() ? p.getTag() : null, p.getArgvList(), p.getDetached(), p.getPty());
    }

    static dev.wrenn.host.grpc.v1.FileEntry toWire(FileEntry e) {
        var b = dev.wrenn.host.grpc.v1.FileEntry.newBuilder().setName(e.name()).setPath(e.path()).setType(e.type())
                .setSize(e.size()).setMode(e.mode());
        if (e.modifiedAt() != null) b.setModifiedAtMs(e.modifiedAt().toEpochMilli());
        if (e.symlinkTarget() != null) b.setSymlinkTarget(e.symlinkTarget());
        return b.build();
    }

    static FileEntry fromWire(dev.wrenn.host.grpc.v1.FileEntry e) {
        return new FileEntry(e.getName(), e.getPath(), e.getType(), e.getSize(), e.getMode(),
                Instant.ofEpochMilli(e.getModifiedAtMs()), e.hasSymlinkTarget() ? e.getSymlinkTarget() : null);
    }

    static ProcessOutput toWire(ProcessEvent event) {
        return switch (event) {
            case ProcessEvent.Output o -> ProcessOutput.newBuilder().setOutput(ProcessOutput.Chunk.newBuilder()
                    .setSource(OutputSource.valueOf(o.source().name())).setData(ByteString.copyFrom(o.data()))).build();
            case ProcessEvent.Exited x -> ProcessOutput.newBuilder().setExited(ProcessExited.newBuilder()
                    .setExitCode(x.exitCode()).setSignal(x.signal()).setTimedOut(x.timedOut())
                    .setDurationMs(x.durationMs())).build();
        };
    }

    /** Null for a message that is not output or an end (the opening). */
    static ProcessEvent fromWire(ProcessOutput out) {
        return switch (out.getKindCase()) {
            case OUTPUT -> new ProcessEvent.Output(source(out.getOutput().getSource()), out.getOutput().getData().toByteArray());
            case EXITED -> {
                ProcessExited x = out.getExited();
                yield new ProcessEvent.Exited(x.getExitCode(), x.getSignal(), x.getTimedOut(), x.getDurationMs());
            }
            case OPENED, KIND_NOT_SET -> null;
        };
    }

    private static ProcessEvent.Source source(OutputSource s) {
        return switch (s) {
            case STDOUT -> ProcessEvent.Source.STDOUT;
            case STDERR -> ProcessEvent.Source.STDERR;
            case REPLAY -> ProcessEvent.Source.REPLAY;
            case UNRECOGNIZED -> throw new IllegalArgumentException("output from an unknown source");
        };
    }
}
