pg2sr_add_test_dir(actors LIBS pg2sr_actors)
