//! The workload as a Rego policy run by `regorus` on its fastest path: the policy compiled to an
//! RVM program once, then one VM reused for every referral.

use std::sync::Arc;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::Program;
use regorus::rvm::vm::RegoVM;
use regorus::{Rc, Value};

/// The policy text.
pub const POLICY: &str = include_str!("../policy/workload.rego");
const ENTRY: &str = "data.workload.decision";

/// Parses the policy and compiles it to an RVM program.
pub fn compile() -> Result<Arc<Program>, String> {
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("workload.rego".to_string(), POLICY.to_string())
        .map_err(|e| format!("rego: {e}"))?;
    let entry: Rc<str> = Rc::from(ENTRY);
    let compiled = engine
        .compile_with_entrypoint(&entry)
        .map_err(|e| format!("rego: {e}"))?;
    Compiler::compile_from_policy(&compiled, &[ENTRY]).map_err(|e| format!("rego: {e}"))
}

/// A VM loaded with the program, reused across evaluations.
pub fn vm(program: &Arc<Program>) -> RegoVM {
    let mut vm = RegoVM::new();
    vm.load_program(program.clone());
    vm
}

/// Evaluates converted input.
pub fn eval(vm: &mut RegoVM, input: &Value) -> Result<Value, String> {
    vm.set_input(input.clone());
    vm.execute().map_err(|e| format!("rego: {e}"))
}

/// JSON text in, decision JSON text out.
pub fn json_to_json(vm: &mut RegoVM, text: &str) -> Result<String, String> {
    let input = Value::from_json_str(text).map_err(|e| format!("rego: {e}"))?;
    let out = eval(vm, &input)?;
    out.to_json_str().map_err(|e| format!("rego: {e}"))
}
