"""Shared by the cluster benchmarks: running commands, and the vfleet CLI
against a benchmark's own test cluster and store."""
import os
import subprocess


def sh(cmd, check=True, **kw):
    """Runs a command (a string goes through the shell); exits the benchmark when it fails."""
    r = subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise SystemExit(f"failed: {cmd}\n{r.stdout}\n{r.stderr}")
    return r


def vfleet_runner(vfleet, db, cluster):
    """vf(*args, check=True): vfleet with this store, this cluster's known_hosts and key."""
    def vf(*args, check=True):
        # Global options go before "--": after it they would belong to the guest's command.
        args = list(args)
        opts = ["--db", db, "--known-hosts", f"{cluster}/controller/known_hosts"]
        if "--" in args:
            i = args.index("--")
            args = args[:i] + opts + args[i:]
        else:
            args += opts
        env = {**os.environ, "VFLEET_IDENTITY": f"{cluster}/controller/id_ed25519"}
        return sh([vfleet, *args], check=check, env=env)
    return vf
