import Foundation
import Testing

/// Two runners on one connection: the second is refused, naming the holder; a dead holder's lock
/// is taken over.
@Suite struct LockTests {
    /// A runner stopped in the middle of its run, holding the lock.
    func startHolder(_ sandbox: Sandbox) throws -> Process {
        let prefix = sandbox.directory + "/holder"
        let holder = try startAccord(
            ["run"] + sandbox.runArguments(["run"]), environment: ["ACCORD_FAILPOINT": "before-create:1:pause"], outputPrefix: prefix)
        #expect(waitFor("failpoint 'before-create' reached", in: prefix + ".err"))
        return holder
    }

    @Test func aSecondRunnerIsRefusedAndADeadHoldersLockIsTakenOver() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.writeCSV("id,email,first_name\n1,ann@example.com,Ann\n2,bob@example.com,Bob\n")

        let holder = try startHolder(sandbox)
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }

        let refused = try sandbox.accord(["run"])
        #expect(refused.status == 1)
        let host = ProcessInfo.processInfo.hostName
        #expect(refused.stderr.contains("another runner holds this connection: pid \(holder.processIdentifier) on \(host) since 20"), "\(refused.stderr)")
        #expect(try await sandbox.emails("b").isEmpty)

        // The holder dies without releasing the lock; the next runner takes it over and finishes the work.
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        let takeover = try sandbox.accord(["run"])
        #expect(takeover.status == 0, "\(takeover.stderr)")
        #expect(takeover.stdout.contains("created 2 a→b"))
        #expect(try await sandbox.emails("b").sorted() == ["ann@example.com", "bob@example.com"])
    }

    @Test func aRunOnATimerSkipsALockedConnectionAndGoesOn() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.writeCSV("id,email\n1,ann@example.com\n")
        let holder = try startHolder(sandbox)
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }

        let timer = sandbox.directory + "/timer"
        let runner = try startAccord(["run", "--every", "1s"] + sandbox.runArguments(["run"]), outputPrefix: timer)
        #expect(waitFor("skipped: another runner holds this connection", in: timer + ".err"))
        kill(holder.processIdentifier, SIGKILL)
        #expect(waitFor("created 1 a→b", in: timer + ".out"))
        runner.interrupt()
        runner.waitUntilExit()
        #expect(runner.terminationStatus == 0)
    }
}
