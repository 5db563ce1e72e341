package dev.wrenn.host.vmm;

import java.util.List;

/**
 * Where guest RAM lives. A shared file (a template's, a capsule's own) lets a save skip RAM
 * entirely (migration capability x-ignore-shared); anonymous RAM serves a VM that only loads a
 * state to convert it. The backend id is always {@code mem0} so that RAM blocks match across save
 * and restore.
 */
public sealed interface MemoryBacking {
    List<String> qemuArgs(int memoryMb);

    /** Whether a save with x-ignore-shared leaves RAM out of the state file. */
    boolean shared();

    record SharedFile(String path) implements MemoryBacking {
        public List<String> qemuArgs(int memoryMb) {
            return List.of("-object", "memory-backend-file,id=mem0,size=" + memoryMb + "M,mem-path=" + path + ",share=on");
        }

        public boolean shared() {
            return true;
        }
    }

    record Anonymous() implements MemoryBacking {
        public List<String> qemuArgs(int memoryMb) {
            return List.of("-object", "memory-backend-ram,id=mem0,size=" + memoryMb + "M");
        }

        public boolean shared() {
            return false;
        }
    }
}
