"""Every shipped light workflow runs end to end on devhost to its expected output."""


def test_echo_test_runs_to_its_output(engine):
    job_id = engine.submit("echo_test", {"message": "hi"})
    job = engine.wait(job_id)
    assert job["status"] == "completed", job
    assert job["output"]["result"] == {"message": "echo of hi", "repeat": 1}
    assert job["output"]["provenance"]["job_id"] == job_id
    assert job["output"]["provenance"]["hash"].startswith("sha256:")
