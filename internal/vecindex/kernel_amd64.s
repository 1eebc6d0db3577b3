//go:build amd64 && !purego

#include "textflag.h"

// Horizontal sum of the eight int32 lanes of Y0 into AX; clobbers X1.
#define HSUMD \
	VEXTRACTI128 $1, Y0, X1 \
	VPADDD       X1, X0, X0 \
	VPSHUFD      $0x4E, X0, X1 \
	VPADDD       X1, X0, X0 \
	VPSHUFD      $0xB1, X0, X1 \
	VPADDD       X1, X0, X0 \
	VMOVD        X0, AX

// func dotI8I16AVX2(a *int8, q *int16, n int) int32
// Sign-extends 16 codes at a time to int16 (VPMOVSXBW) and multiplies them
// with the int16 query, adding pairs into int32 lanes (VPMADDWD). The tail
// of fewer than 16 elements is done one element at a time, so nothing past
// a[n-1] or q[n-1] is read.
TEXT ·dotI8I16AVX2(SB), NOSPLIT, $0-28
	MOVQ  a+0(FP), SI
	MOVQ  q+8(FP), DI
	MOVQ  n+16(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3

loop64:
	CMPQ      CX, $64
	JLT       loop16
	VPMOVSXBW (SI), Y4
	VPMOVSXBW 16(SI), Y5
	VPMOVSXBW 32(SI), Y6
	VPMOVSXBW 48(SI), Y7
	VPMADDWD  (DI), Y4, Y4
	VPMADDWD  32(DI), Y5, Y5
	VPMADDWD  64(DI), Y6, Y6
	VPMADDWD  96(DI), Y7, Y7
	VPADDD    Y4, Y0, Y0
	VPADDD    Y5, Y1, Y1
	VPADDD    Y6, Y2, Y2
	VPADDD    Y7, Y3, Y3
	ADDQ      $64, SI
	ADDQ      $128, DI
	SUBQ      $64, CX
	JMP       loop64

loop16:
	CMPQ      CX, $16
	JLT       reduce
	VPMOVSXBW (SI), Y4
	VPMADDWD  (DI), Y4, Y4
	VPADDD    Y4, Y0, Y0
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $16, CX
	JMP       loop16

reduce:
	VPADDD Y1, Y0, Y0
	VPADDD Y3, Y2, Y2
	VPADDD Y2, Y0, Y0
	HSUMD
	VZEROUPPER

tail:
	TESTQ   CX, CX
	JEQ     done
	MOVBQSX (SI), BX
	MOVWQSX (DI), DX
	IMULL   DX, BX
	ADDL    BX, AX
	INCQ    SI
	ADDQ    $2, DI
	DECQ    CX
	JMP     tail

done:
	MOVL AX, ret+24(FP)
	RET

// func dotsI8I16AVX2(codes *int8, stride int, q *int16, out *int32, rows int)
// out[r] = dot(codes[r*stride:(r+1)*stride], q[:stride]) for r < rows.
// stride must be a positive multiple of 32.
TEXT ·dotsI8I16AVX2(SB), NOSPLIT, $0-40
	MOVQ codes+0(FP), SI
	MOVQ stride+8(FP), R8
	MOVQ q+16(FP), R9
	MOVQ out+24(FP), R10
	MOVQ rows+32(FP), R11

row:
	TESTQ R11, R11
	JEQ   end
	MOVQ  R9, DI
	MOVQ  R8, CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3

inner64:
	CMPQ      CX, $64
	JLT       inner32
	VPMOVSXBW (SI), Y4
	VPMOVSXBW 16(SI), Y5
	VPMOVSXBW 32(SI), Y6
	VPMOVSXBW 48(SI), Y7
	VPMADDWD  (DI), Y4, Y4
	VPMADDWD  32(DI), Y5, Y5
	VPMADDWD  64(DI), Y6, Y6
	VPMADDWD  96(DI), Y7, Y7
	VPADDD    Y4, Y0, Y0
	VPADDD    Y5, Y1, Y1
	VPADDD    Y6, Y2, Y2
	VPADDD    Y7, Y3, Y3
	ADDQ      $64, SI
	ADDQ      $128, DI
	SUBQ      $64, CX
	JMP       inner64

inner32:
	TESTQ     CX, CX
	JEQ       rowdone
	VPMOVSXBW (SI), Y4
	VPMOVSXBW 16(SI), Y5
	VPMADDWD  (DI), Y4, Y4
	VPMADDWD  32(DI), Y5, Y5
	VPADDD    Y4, Y0, Y0
	VPADDD    Y5, Y1, Y1
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $32, CX
	JMP       inner32

rowdone:
	VPADDD Y1, Y0, Y0
	VPADDD Y3, Y2, Y2
	VPADDD Y2, Y0, Y0
	HSUMD
	MOVL   AX, (R10)
	ADDQ   $4, R10
	DECQ   R11
	JMP    row

end:
	VZEROUPPER
	RET

// func dotF32AVX2(a, b *float32, n int) float32
// Four FMA accumulators of eight lanes; the tail of fewer than eight
// elements is done one element at a time.
TEXT ·dotF32AVX2(SB), NOSPLIT, $0-28
	MOVQ   a+0(FP), SI
	MOVQ   b+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

floop32:
	CMPQ        CX, $32
	JLT         floop8
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	JMP         floop32

floop8:
	CMPQ        CX, $8
	JLT         freduce
	VMOVUPS     (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         floop8

freduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0x4E, X0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0xB1, X0, X1
	VADDPS       X1, X0, X0

ftail:
	TESTQ       CX, CX
	JEQ         fdone
	VMOVSS      (SI), X1
	VFMADD231SS (DI), X1, X0
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         ftail

fdone:
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

DATA nibbleMask<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nibbleMask<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL nibbleMask<>(SB), RODATA|NOPTR, $16

DATA onesW<>+0(SB)/8, $0x0001000100010001
DATA onesW<>+8(SB)/8, $0x0001000100010001
GLOBL onesW<>(SB), RODATA|NOPTR, $16

// func dotsU4I8AVX2(codes *byte, rowBytes int, q *int8, out *int32, rows int)
// out[r] = sum of u*q over row r's dimensions (see dotsU4I8Go for the
// layout). Per 32-byte block: the low and high nibbles are split with a
// mask and a shift, multiplied with the signed query bytes by VPMADDUBSW
// (at most 2*15*127 per pair, so never saturating), added as int16 and
// widened by VPMADDWD with ones into the int32 accumulator.
TEXT ·dotsU4I8AVX2(SB), NOSPLIT, $0-40
	MOVQ         codes+0(FP), SI
	MOVQ         rowBytes+8(FP), R8
	MOVQ         q+16(FP), R9
	MOVQ         out+24(FP), R10
	MOVQ         rows+32(FP), R11
	VBROADCASTI128 nibbleMask<>(SB), Y14
	VBROADCASTI128 onesW<>(SB), Y15

u4row:
	TESTQ R11, R11
	JEQ   u4end
	MOVQ  R9, DI
	MOVQ  R8, CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1

u4block:
	VMOVDQU    (SI), Y2
	VPSRLW     $4, Y2, Y3
	VPAND      Y14, Y2, Y2
	VPAND      Y14, Y3, Y3
	VPMADDUBSW (DI), Y2, Y2
	VPMADDUBSW 32(DI), Y3, Y3
	VPADDW     Y3, Y2, Y2
	VPMADDWD   Y15, Y2, Y2
	VPADDD     Y2, Y0, Y0
	ADDQ       $32, SI
	ADDQ       $64, DI
	SUBQ       $32, CX
	JNE        u4block

	HSUMD
	MOVL AX, (R10)
	ADDQ $4, R10
	DECQ R11
	JMP  u4row

u4end:
	VZEROUPPER
	RET
