pg2sr_add_test_dir(engine LIBS pg2sr_engine)
