# Wrenn: one entry point for building, testing and benchmarking on a Debian machine.
SHELL := /bin/bash
JAVA_HOME := $(shell scripts/find-jdk.sh)
export JAVA_HOME
MVN := ./mvnw -B -ntp

.PHONY: deps agent images run test test-agent test-java test-sdk-consumer bench soak clean

deps:
	@scripts/install-deps.sh

agent: deps
	@$(MAKE) -s -C guest/agent

# Guest images are cached outside the checkout (WRENN_IMAGE_CACHE, default ~/.cache/wrenn/images)
# and rebuilt only when their inputs change.
images: agent
	@guest/images/build.sh minimal base-python

## The platform, embedded default: REST API + host agent + SQLite in ./.wrenn; prints the API URL and a first key.
run: images
	./wrenn server

# the agent's protocol tests, then its frame and record parser under libFuzzer for 10 s
test-agent: agent
	@$(MAKE) -s -C guest/agent test fuzz FUZZ_SECONDS=10

# The Java suites run against SQLite and against a throwaway PostgreSQL server started here.
test-java: images
	scripts/with-postgres.sh $(MVN) verify

# After `mvn install`, a project outside the repository can use the SDK by its coordinates (Jackson its only dependency).
test-sdk-consumer:
	scripts/check-sdk-consumer.sh

## Every test: the guest agent's own (host process over a socket pair) beside the Java suites with real VMs,
## then the SDK as a dependency. The agent's tests and fuzzing take one core for a minute while the Java
## modules compile; side by side they save that minute of the suite's time.
test:
	@$(MAKE) -s -j2 test-agent test-java
	@$(MAKE) -s test-sdk-consumer

## Benchmarks with real VMs; prints BENCH lines and writes docs/benchmarks.md.
## A throwaway PostgreSQL for the multi-host one (its control planes share a database).
BENCH_REPORTS := wrenn-host/target/surefire-reports wrenn-host-grpc/target/surefire-reports \
  wrenn-server/target/surefire-reports wrenn-sdk/target/surefire-reports wrenn-cli/target/surefire-reports
bench: images
	$(MVN) -q -DskipTests install
	@# test output goes to surefire's report files: the BENCH lines are shown from there, also when a benchmark failed
	@rm -f $(BENCH_REPORTS:%=%/*-output.txt)
	@status=0; scripts/with-postgres.sh $(MVN) -pl wrenn-host,wrenn-host-grpc,wrenn-server,wrenn-sdk,wrenn-cli surefire:test \
	    -Dgroups=bench -Dwrenn.excludedGroups=none -Dtest='*Benchmark' -Dsurefire.failIfNoSpecifiedTests=false || status=$$?; \
	  grep -h '^BENCH ' $(BENCH_REPORTS:%=%/*-output.txt) 2>/dev/null; exit $$status

## Reliability soak (about 30 min; not part of `make test`, which runs short versions of each): 100
## pause/resume cycles, 20 kill -9 rounds of the server, the noisy-neighbour measurement, 5 min of
## each fuzzer. Prints one SOAK line per part.
SOAK_PROPS := -Dwrenn.excludedGroups=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dwrenn.soak.cycles=100 -Dwrenn.soak.crashRounds=20 -Dwrenn.fuzz.seconds=300
soak: images
	$(MVN) -q -DskipTests install
	@rm -f wrenn-host/target/surefire-reports/*-output.txt wrenn-server/target/surefire-reports/*-output.txt
	@# each part runs whatever the one before it did
	@status=0; $(MAKE) -s -C guest/agent fuzz FUZZ_SECONDS=300 || status=$$?; \
	  $(MVN) -pl wrenn-host surefire:test $(SOAK_PROPS) -Dtest='NoisyNeighbourBenchmark,HostileGuestTest' || status=$$?; \
	  scripts/with-postgres.sh $(MVN) -pl wrenn-server surefire:test $(SOAK_PROPS) \
	    -Dtest='PauseResumeCyclesTest,CrashRecoveryTest,ApiFuzzTest' || status=$$?; \
	  grep -h '^SOAK ' wrenn-host/target/surefire-reports/*-output.txt wrenn-server/target/surefire-reports/*-output.txt; \
	  exit $$status

clean:
	$(MVN) -q clean
	@$(MAKE) -s -C guest/agent clean
