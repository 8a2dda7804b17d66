# The two commands of the README. Both set everything up first and are safe to repeat.
.PHONY: run test

run:  ## set up, then start the assistant (window with a display, terminal mode without)
	@bash packaging/bootstrap.sh
	@.venv/bin/sova

test:  ## set up (with the test tools), then lint, type-check and run every test
	@bash packaging/bootstrap.sh --dev
	@bash packaging/test.sh
